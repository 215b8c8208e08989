import { candidatePicker, datasetCandidates } from './candidate-picker.js';
import { clear, h, labelCells, setText, showNotice, tableHead } from './dom.js';
import { datasetPageHead } from './dataset-tabs.js';
import { formatAccuracy, formatCount } from './format.js';
import { classificationHash } from './routes.js';

const LABEL_COLUMNS = ['Label', 'Rows', 'Predicted', 'Right', 'Precision', 'Recall', 'F1'];
/** The confusion matrix's last column: outputs that are none of the labels. */
const OUTSIDE = 'outside the label set';

/**
 * One candidate on a classification dataset (GET /v1/datasets/:id/classification):
 * accuracy, per-label precision, recall and F1 with their macro averages, and the
 * confusion matrix (expected labels down, predicted across, then the outputs outside
 * the label set), with the most frequent of those outputs listed. Labels and outputs
 * are untrusted text, set as text.
 */
export function createClassificationView({ api, catalog }) {
  const head = datasetPageHead({ view: 'classification', word: 'Classification', catalog });
  const picker = candidatePicker({
    label: 'Candidate',
    catalog,
    onPick: () => {
      location.hash = classificationHash(route.datasetId, picker.value());
    },
  });
  const status = h('p', { class: 'notice' });
  const report = h('div', { class: 'classification' });
  const element = h(
    'section',
    { class: 'view classification-view', hidden: true },
    ...head.nodes,
    h('div', { class: 'filters pickers' }, picker.element),
    status,
    report,
  );

  let route = null;
  let generation = 0;

  function perLabel(r) {
    const row = (cells) => labelCells(h('tr', {}, cells), LABEL_COLUMNS);
    return h(
      'table',
      { class: 'per-label stack' },
      tableHead(LABEL_COLUMNS, LABEL_COLUMNS.slice(1)),
      h(
        'tbody',
        {},
        r.per_label.map((l) =>
          row([
            h('td', { class: 'label', text: l.label }),
            h('td', { class: 'num', text: formatCount(l.support) }),
            h('td', { class: 'num', text: formatCount(l.predicted) }),
            h('td', { class: 'num', text: formatCount(l.true_positives) }),
            h('td', { class: 'num precision', text: formatAccuracy(l.precision) }),
            h('td', { class: 'num recall', text: formatAccuracy(l.recall) }),
            h('td', { class: 'num f1', text: formatAccuracy(l.f1) }),
          ]),
        ),
        row([
          h('td', { class: 'label macro', text: 'macro average' }),
          h('td', { class: 'num', text: formatCount(r.n) }),
          h('td', { class: 'num', text: '' }),
          h('td', { class: 'num', text: '' }),
          h('td', { class: 'num precision', text: formatAccuracy(r.macro_precision) }),
          h('td', { class: 'num recall', text: formatAccuracy(r.macro_recall) }),
          h('td', { class: 'num f1', text: formatAccuracy(r.macro_f1) }),
        ]),
      ),
    );
  }

  function confusion(r) {
    const predicted = [...r.labels, OUTSIDE];
    return h(
      'div',
      { class: 'matrix-wrap' },
      h(
        'table',
        { class: 'confusion' },
        h('caption', { text: 'Rows: expected label. Columns: the label predicted.' }),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', text: 'expected ↓ / predicted →' }),
            predicted.map((label) =>
              h('th', { scope: 'col', class: label === OUTSIDE ? 'outside' : null, text: label }),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          r.labels.map((label, i) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row', text: label }),
              (r.confusion[i] ?? []).map((count, j) =>
                h('td', {
                  class: [
                    'num',
                    i === j ? 'diagonal' : null,
                    j === r.labels.length ? 'outside' : null,
                    count === 0 ? 'zero' : null,
                  ]
                    .filter(Boolean)
                    .join(' '),
                  text: formatCount(count),
                }),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function render(r) {
    const outside = r.outside_label_set;
    report.replaceChildren(
      h('p', {
        class: 'class-facts',
        text: `${formatCount(r.n)} answers · accuracy ${formatAccuracy(r.accuracy)} · macro F1 ${formatAccuracy(r.macro_f1)} · ${formatCount(outside.count)} outside the label set`,
      }),
      perLabel(r),
      h('h2', { class: 'section-title', text: 'Confusion matrix' }),
      confusion(r),
      h('h2', { class: 'section-title', text: 'Outputs outside the label set' }),
      outside.count === 0
        ? h('p', { class: 'notice', text: 'None: every output is one of the labels.' })
        : h(
            'ul',
            { class: 'outside-outputs' },
            outside.top.map((o) =>
              h(
                'li',
                {},
                h('span', { class: 'text', text: o.predicted }),
                ` × ${formatCount(o.count)}`,
              ),
            ),
          ),
    );
  }

  async function load() {
    const mine = generation;
    try {
      const [entries] = await Promise.all([
        datasetCandidates(api, route.datasetId),
        catalog.ready(),
      ]);
      if (mine !== generation) return;
      picker.fill(entries, route.candidate);
      if (!route.candidate) {
        setText(
          status,
          entries.length === 0
            ? 'No jobs over this dataset yet.'
            : 'Pick a candidate to see its per-label precision, recall and F1.',
        );
        return;
      }
      setText(status, 'Reading…');
      const { model_id, prompt_id } = route.candidate;
      const { body } = await api.getJson(
        `/v1/datasets/${route.datasetId}/classification?model_id=${model_id}&prompt_id=${prompt_id}`,
      );
      if (mine !== generation) return;
      status.hidden = true;
      render(body);
    } catch (error) {
      if (mine !== generation) return;
      showNotice(status, `No classification report: ${error.message}`);
    }
  }

  return {
    element,
    open(next) {
      generation += 1;
      route = next;
      clear(report);
      showNotice(status, 'Loading the candidates…');
      head.show(route.datasetId);
      element.hidden = false;
      void load();
    },
    close() {
      generation += 1;
      element.hidden = true;
    },
  };
}
