import { candidatePicker, datasetCandidates } from './candidate-picker.js';
import { clear, h, labelCells, setText, showNotice, tableHead } from './dom.js';
import { datasetPageHead } from './dataset-tabs.js';
import { DASH, formatAccuracy, formatCount, formatP, formatScore } from './format.js';
import { intervalBar } from './interval-bar.js';
import { outputCell } from './output-cell.js';
import { pagedList } from './paged-list.js';
import { candidateKey, compareHash } from './routes.js';

const PAGE_SIZE = 50;
const ROW_COLUMNS = ['Row', 'Content', 'Expected', 'A', 'B'];

/**
 * The comparison in words, naming the candidate ahead: "B wins on 37 rows, loses on 12:
 * significant, p = 0.00044". Significant is the API's `winner` (McNemar p < 0.05).
 */
export function comparisonWords(result, nameA, nameB) {
  if (result.n_paired === 0) return 'No row has a graded successful answer from both yet.';
  const aLeads =
    result.winner === 'a' || (result.winner === null && result.a_only >= result.b_only);
  const [leader, wins, losses] = aLeads
    ? [nameA, result.a_only, result.b_only]
    : [nameB, result.b_only, result.a_only];
  return (
    `${leader} wins on ${formatCount(wins)} rows, loses on ${formatCount(losses)}: ` +
    `${result.winner ? 'significant' : 'not significant'}, p = ${formatP(result.mcnemar_p)}`
  );
}

/**
 * Two candidates of a dataset on the same rows (GET /v1/compare): the 2×2 table of
 * verdicts, McNemar's p and the verdict in words, the mean score difference with its
 * bootstrap interval, and the rows where they disagree with both outputs side by side
 * (GET /v1/compare/rows), each opening its grading.
 */
export function createCompareView({ api, catalog, panel }) {
  const head = datasetPageHead({ view: 'compare', word: 'Compare', catalog });
  // A pick reads both pickers (not the route, which the hash change has yet to update).
  const pickBoth = () =>
    go({ datasetId: route.datasetId, a: pickA.value(), b: pickB.value(), only: null });
  const pickA = candidatePicker({ label: 'A', catalog, onPick: pickBoth });
  const pickB = candidatePicker({ label: 'B', catalog, onPick: pickBoth });
  const swap = h('button', { type: 'button', class: 'quiet', text: 'Swap A and B' });
  swap.addEventListener('click', () => go({ ...route, a: route.b, b: route.a, only: null }));
  const status = h('p', { class: 'notice' });
  const result = h('div', { class: 'comparison' });
  const rowTabs = h('nav', { class: 'tabs', 'aria-label': 'Which rows' });
  const rowsStatus = h('p', { class: 'notice' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'disagreements stack' },
    tableHead(ROW_COLUMNS, ['Row']),
    tbody,
  );
  const more = h('button', { type: 'button', class: 'load-more', text: 'Load more' });
  const rowsSection = h(
    'section',
    { class: 'disagreeing-rows' },
    h('h2', { class: 'section-title', text: 'Rows where they disagree' }),
    rowTabs,
    rowsStatus,
    h('div', { class: 'table-wrap' }, table),
    more,
  );
  const element = h(
    'section',
    { class: 'view compare-view', hidden: true },
    ...head.nodes,
    h('div', { class: 'filters pickers' }, pickA.element, pickB.element, swap),
    status,
    result,
    rowsSection,
  );

  let route = null;
  let generation = 0;
  let names = { a: 'A', b: 'B' };

  const go = (next) => {
    location.hash = compareHash(next.datasetId, next.a, next.b, next.only);
  };

  function twoByTwo(c) {
    const cell = (n, what) => h('td', { class: 'num', data: { cell: what }, text: formatCount(n) });
    return h(
      'table',
      { class: 'two-by-two' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', text: `n = ${formatCount(c.n_paired)}` }),
          h('th', { scope: 'col', class: 'num', text: 'B passes' }),
          h('th', { scope: 'col', class: 'num', text: 'B fails' }),
        ),
      ),
      h(
        'tbody',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'row', text: 'A passes' }),
          cell(c.both, 'both'),
          cell(c.a_only, 'a_only'),
        ),
        h(
          'tr',
          {},
          h('th', { scope: 'row', text: 'A fails' }),
          cell(c.b_only, 'b_only'),
          cell(c.neither, 'neither'),
        ),
      ),
    );
  }

  function renderResult(c) {
    const rate = (pass) => (c.n_paired === 0 ? DASH : formatAccuracy(pass / c.n_paired));
    const ci = c.score_diff_ci95;
    const ciText = ci
      ? `[${formatScore(ci[0], { signed: true })}, ${formatScore(ci[1], { signed: true })}]`
      : DASH;
    result.replaceChildren(
      h('p', {
        class: 'verdict-text',
        data: { winner: c.winner ?? 'none' },
        text: comparisonWords(c, names.a, names.b),
      }),
      h(
        'dl',
        { class: 'facts' },
        h('dt', { text: 'A' }),
        h('dd', {
          class: 'name-a',
          text: `${names.a}: passes ${formatCount(c.a_pass)} of ${formatCount(c.n_paired)} (${rate(c.a_pass)})`,
        }),
        h('dt', { text: 'B' }),
        h('dd', {
          class: 'name-b',
          text: `${names.b}: passes ${formatCount(c.b_pass)} of ${formatCount(c.n_paired)} (${rate(c.b_pass)})`,
        }),
        h('dt', { text: 'McNemar p' }),
        h('dd', { class: 'p-value', text: formatP(c.mcnemar_p) }),
        h('dt', { text: 'Score A − B' }),
        h(
          'dd',
          { class: 'score-diff' },
          h('span', {
            text: `${formatScore(c.score_diff, { signed: true })}, 95% interval ${ciText}`,
          }),
          intervalBar(c.score_diff, ci, {
            label: `95% interval ${ciText}`,
            min: -1,
            max: 1,
            width: 200,
          }),
        ),
      ),
      twoByTwo(c),
      h('p', {
        class: 'notice',
        text:
          'On the rows where both have a graded answer. Only the rows where exactly one passes say ' +
          "which is better: McNemar's exact test asks how likely a split this lopsided is if both " +
          'were equally good; below p = 0.05 the leader is called the winner. The score interval ' +
          'is a paired bootstrap (2,000 resamples).',
      }),
    );
    const counts = { all: c.a_only + c.b_only, a: c.a_only, b: c.b_only };
    rowTabs.replaceChildren(
      ...[
        [null, `All (${formatCount(counts.all)})`],
        ['a', `Only A passes (${formatCount(counts.a)})`],
        ['b', `Only B passes (${formatCount(counts.b)})`],
      ].map(([only, text]) =>
        h('a', {
          href: compareHash(route.datasetId, route.a, route.b, only),
          text,
          'aria-current': (route.only ?? null) === only ? 'page' : null,
        }),
      ),
    );
  }

  function rowOf(row) {
    return labelCells(
      h(
        'tr',
        { data: { row: row.row_id } },
        h('td', { class: 'num', text: row.row_id }),
        h('td', { class: 'content' }, h('div', { class: 'text', text: row.content })),
        h('td', { class: 'expected' }, h('div', { class: 'text', text: row.expected_prediction })),
        outputCell({ ...row.a, status: 'success' }, panel, 'output output-a'),
        outputCell({ ...row.b, status: 'success' }, panel, 'output output-b'),
      ),
      ROW_COLUMNS,
    );
  }

  const rows = pagedList({
    button: more,
    async readPage(cursor) {
      const query = new URLSearchParams({
        dataset_id: String(route.datasetId),
        a: candidateKey(route.a),
        b: candidateKey(route.b),
        limit: String(PAGE_SIZE),
      });
      if (route.only) query.set('only', route.only);
      if (cursor !== null) query.set('cursor', cursor);
      return (await api.getJson(`/v1/compare/rows?${query}`)).body;
    },
    onPage(page) {
      tbody.append(...page.items.map(rowOf));
      table.hidden = tbody.childElementCount === 0;
      setText(
        rowsStatus,
        tbody.childElementCount === 0
          ? 'They agree on every row.'
          : `Showing ${formatCount(tbody.childElementCount)} rows.`,
      );
    },
    onError: (error) => setText(rowsStatus, `Could not read the rows: ${error.message}`),
  });

  async function load() {
    const mine = generation;
    try {
      const [entries] = await Promise.all([
        datasetCandidates(api, route.datasetId),
        catalog.ready(),
      ]);
      if (mine !== generation) return;
      pickA.fill(entries, route.a);
      pickB.fill(entries, route.b);
      if (!route.a || !route.b) {
        setText(
          status,
          entries.length < 2
            ? 'This dataset needs at least two candidates (model × prompt) to compare.'
            : 'Pick two candidates to compare them on the same rows.',
        );
        return;
      }
      names = { a: catalog.candidateName(route.a), b: catalog.candidateName(route.b) };
      setText(status, 'Comparing…');
      const query = new URLSearchParams({
        dataset_id: String(route.datasetId),
        a: candidateKey(route.a),
        b: candidateKey(route.b),
      });
      const { body } = await api.getJson(`/v1/compare?${query}`);
      if (mine !== generation) return;
      status.hidden = true;
      renderResult(body);
      rowsSection.hidden = false;
      await rows.next();
    } catch (error) {
      if (mine !== generation) return;
      showNotice(status, `Could not compare: ${error.message}`);
    }
  }

  return {
    element,
    open(next) {
      generation += 1;
      route = next;
      rows.reset();
      clear(tbody);
      clear(result);
      rowsSection.hidden = true;
      showNotice(status, 'Loading the candidates…');
      head.show(route.datasetId);
      element.hidden = false;
      void load();
    },
    close() {
      generation += 1;
      rows.reset();
      element.hidden = true;
    },
  };
}
