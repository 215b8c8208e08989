import { h, labelCells, setText, tableHead } from './dom.js';
import { DASH, formatCount, formatLatency, formatScore } from './format.js';
import { verdictBadge, verdictOf } from './verdict.js';

const COLUMNS = ['Assertion', 'Verdict', 'Score', 'Weight', 'Reason'];

/** "icontains", "not regex /a+/", "llm-judge (model 3)": an assertion as the grading names it. */
function assertionName(result, catalog) {
  const judge =
    result.model_id === undefined ? '' : ` (judge: ${catalog.modelName(result.model_id)})`;
  return `${result.not ? 'not ' : ''}${result.type ?? '?'}${judge}`;
}

function assertionVerdict(result) {
  if (result.pass === true) return 'passed';
  if (result.pass === false) return 'wrong';
  return 'ungraded';
}

const textBlock = (label, value, className = '') =>
  h(
    'div',
    { class: `field ${className}` },
    h('h3', { text: label }),
    value === null || value === undefined || value === ''
      ? h('p', { class: 'notice', text: DASH })
      : h('div', { class: 'text', text: value }),
  );

/**
 * A prediction's grading in a dialog (GET /v1/predictions/:id): its verdict and score,
 * the row, the output, and each assertion's verdict, score, weight and the judge's
 * reason or the error that left it undecided. Opened from the grid, the compare view
 * and a job's rows. All of it is untrusted text, set as text.
 */
export function createPredictionPanel({ api, catalog }) {
  const heading = h('h2');
  const body = h('div', { class: 'panel-body' });
  const close = h('button', { type: 'button', class: 'quiet close', text: 'Close' });
  const dialog = h(
    'dialog',
    { class: 'prediction-panel', 'aria-labelledby': 'prediction-title' },
    h('div', { class: 'panel-head' }, h('span', { id: 'prediction-title' }, heading), close),
    body,
  );
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  document.body.append(dialog);
  let generation = 0;

  function render(p) {
    const verdict = verdictOf(p);
    const candidate = { model_id: p.model_id, prompt_id: p.prompt_id };
    setText(heading, `Row ${p.row_id} · ${catalog.candidateName(candidate)}`);
    const grading = Array.isArray(p.grading) ? p.grading : [];
    body.replaceChildren(
      h(
        'p',
        { class: 'panel-facts' },
        verdictBadge(verdict),
        ` score ${formatScore(p.score)} · ${formatLatency(p.prediction_time)} · ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}` +
          (p.prompt_tokens === null
            ? ''
            : ` · ${formatCount(p.prompt_tokens)} / ${formatCount(p.completion_tokens)} tokens`),
      ),
      textBlock('Row', p.content, 'content'),
      textBlock('Expected', p.expected_prediction, 'expected'),
      textBlock('Output', p.prediction, 'output'),
      p.error ? textBlock('Error', p.error, 'error') : null,
      h('h3', { text: 'Grading' }),
      grading.length === 0
        ? h('p', {
            class: 'notice',
            text: p.status === 'failed' ? 'A failed call is not graded.' : 'No grading stored.',
          })
        : h(
            'table',
            { class: 'grading stack' },
            tableHead(COLUMNS, ['Score', 'Weight']),
            h(
              'tbody',
              {},
              grading.map((result) =>
                labelCells(
                  h(
                    'tr',
                    {},
                    h('td', { class: 'assertion', text: assertionName(result, catalog) }),
                    h('td', {}, verdictBadge(assertionVerdict(result))),
                    h('td', { class: 'num', text: formatScore(result.score ?? null) }),
                    h('td', { class: 'num', text: result.weight ?? 1 }),
                    h('td', {
                      class: result.error ? 'reason error' : 'reason',
                      text: result.error ?? result.reason ?? DASH,
                    }),
                  ),
                  COLUMNS,
                ),
              ),
            ),
          ),
      p.formatted_prompt
        ? h(
            'details',
            {},
            h('summary', { text: 'prompt sent' }),
            h('div', { class: 'text', text: p.formatted_prompt }),
          )
        : null,
    );
  }

  return {
    async open(predictionId) {
      const mine = ++generation;
      setText(heading, `Prediction ${predictionId}`);
      body.replaceChildren(h('p', { class: 'notice', text: 'Loading the grading…' }));
      if (!dialog.open) dialog.showModal();
      try {
        const { body: prediction } = await api.getJson(`/v1/predictions/${predictionId}`);
        if (mine === generation) render(prediction);
      } catch (error) {
        if (mine !== generation) return;
        body.replaceChildren(
          h('p', {
            class: 'notice',
            text: `Could not read prediction ${predictionId}: ${error.message}`,
          }),
        );
      }
    },
    close() {
      generation += 1;
      if (dialog.open) dialog.close();
    },
  };
}
