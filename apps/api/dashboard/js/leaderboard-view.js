import { createBarChart } from './bar-chart.js';
import { clear, h, labelCells, setText, tableHead } from './dom.js';
import { DASH, formatAccuracy, formatCount, formatLatency, oneLine } from './format.js';
import { jobRowsHash, jobsHash } from './routes.js';

const COLUMNS = [
  '#',
  'Model',
  'Prompt',
  'Status',
  'Rows done',
  'Accuracy',
  'Correct',
  'Failed',
  'Latency p50',
  'Latency p95',
  'Tokens in / out',
];
const NUMERIC = COLUMNS.filter((name) => !['Model', 'Prompt', 'Status'].includes(name));
/** Bars in the chart at most (a chart of hundreds of bars says nothing); the table has all. */
const CHART_LIMIT = 40;
/** While jobs of the dataset run, the leaderboard is read again at most this often. */
const REFRESH_GAP_MS = 1_500;

/**
 * A dataset's leaderboard (GET /v1/datasets/:id/leaderboard): accuracy by model ×
 * prompt as a chart and a table, with failures and latency percentiles. It follows the
 * dataset's jobs: when one changes it reads the leaderboard again (revalidated with
 * its ETag, throttled), and redraws only when the answer changed.
 */
export function createLeaderboardView({ api, store, catalog }) {
  const title = h('h1');
  const facts = h('p', { class: 'dataset-facts' });
  const status = h('p', { class: 'notice' });
  const chart = h('figure', { class: 'chart' });
  const tbody = h('tbody');
  const table = h('table', { class: 'leaderboard stack' }, tableHead(COLUMNS, NUMERIC), tbody);
  const element = h(
    'section',
    { class: 'view leaderboard-view', hidden: true },
    h('nav', { class: 'crumbs' }, h('a', { href: jobsHash(), text: '← All jobs' })),
    h('div', { class: 'view-head' }, title, facts),
    status,
    chart,
    table,
  );

  let datasetId = null;
  let generation = 0;
  let timer = 0;
  let lastRead = 0;
  let unsubscribe = () => {};

  function label() {
    const dataset = catalog.datasets.get(datasetId);
    setText(title, `Leaderboard: ${catalog.datasetName(datasetId)}`);
    setText(
      facts,
      dataset
        ? `dataset #${datasetId} · ${formatCount(dataset.row_count)} rows${dataset.description ? ` · ${oneLine(dataset.description, 200)}` : ''}`
        : `dataset #${datasetId}`,
    );
  }

  function render(entries) {
    status.hidden = entries.length > 0;
    setText(status, 'No jobs over this dataset yet.');
    const bars = entries.slice(0, CHART_LIMIT).map((entry) => ({
      label: `${entry.model_name} · #${entry.prompt_id} ${oneLine(entry.prompt_text, 24)}`,
      title: `${entry.model_name} × prompt #${entry.prompt_id}: ${entry.prompt_text.slice(0, 500)}`,
      value: entry.accuracy,
      valueText: formatAccuracy(entry.accuracy),
    }));
    chart.replaceChildren(
      createBarChart({ title: 'Accuracy by model × prompt', bars }),
      h('figcaption', {
        text:
          'Accuracy (correct / succeeded) by model × prompt, best first; failed rows do not count.' +
          (entries.length > CHART_LIMIT
            ? ` The best ${CHART_LIMIT} of ${formatCount(entries.length)}; the table lists them all.`
            : ''),
      }),
    );
    chart.hidden = entries.length === 0;
    table.hidden = entries.length === 0;
    tbody.replaceChildren(
      ...entries.map((entry, index) => {
        const job = { model_id: entry.model_id, prompt_id: entry.prompt_id, dataset_id: datasetId };
        return labelCells(
          h(
            'tr',
            { data: { job: `${entry.model_id}/${entry.prompt_id}/${datasetId}` } },
            h('td', { class: 'num', text: index + 1 }),
            h('td', { class: 'model', title: `model #${entry.model_id}`, text: entry.model_name }),
            h('td', {
              class: 'prompt',
              title: entry.prompt_text.slice(0, 2000),
              text: `#${entry.prompt_id} ${oneLine(entry.prompt_text, 60)}`,
            }),
            h(
              'td',
              {},
              h('span', { class: 'status', data: { status: entry.status }, text: entry.status }),
            ),
            h(
              'td',
              { class: 'num' },
              h('a', {
                href: jobRowsHash(job, 'all'),
                text: `${formatCount(entry.n)} / ${formatCount(entry.total)}`,
              }),
            ),
            h('td', { class: 'num accuracy', text: formatAccuracy(entry.accuracy) }),
            h('td', { class: 'num', text: formatCount(entry.correct) }),
            h(
              'td',
              { class: 'num' },
              entry.failed > 0
                ? h('a', {
                    class: 'failed-count',
                    href: jobRowsHash(job, 'failed'),
                    text: formatCount(entry.failed),
                  })
                : formatCount(entry.failed),
            ),
            h('td', { class: 'num', text: formatLatency(entry.latency_p50_s) }),
            h('td', { class: 'num', text: formatLatency(entry.latency_p95_s) }),
            h('td', {
              class: 'num',
              text:
                entry.prompt_tokens === null && entry.completion_tokens === null
                  ? DASH
                  : `${formatCount(entry.prompt_tokens)} / ${formatCount(entry.completion_tokens)}`,
            }),
          ),
          COLUMNS,
        );
      }),
    );
  }

  async function read() {
    const mine = generation;
    lastRead = Date.now();
    try {
      const { body, changed } = await api.getJson(`/v1/datasets/${datasetId}/leaderboard`, {
        revalidate: true,
      });
      if (mine !== generation) return;
      if (changed || tbody.childElementCount === 0) render(body.entries);
    } catch (error) {
      if (mine !== generation) return;
      status.hidden = false;
      setText(
        status,
        error.status === 404
          ? `There is no dataset #${datasetId}.`
          : `Could not read the leaderboard: ${error.message}`,
      );
      chart.hidden = true;
      table.hidden = true;
    }
  }

  function readSoon() {
    if (timer !== 0) return;
    timer = setTimeout(
      () => {
        timer = 0;
        void read();
      },
      Math.max(0, lastRead + REFRESH_GAP_MS - Date.now()),
    );
  }

  return {
    element,
    open(route) {
      generation += 1;
      datasetId = route.datasetId;
      clear(tbody);
      clear(chart);
      status.hidden = false;
      setText(status, 'Loading the leaderboard…');
      label();
      element.hidden = false;
      unsubscribe();
      const unsubscribeStore = store.subscribe(({ changed, removed }) => {
        for (const key of [...changed, ...removed]) {
          if (key.endsWith(`/${datasetId}`)) return readSoon();
        }
        return undefined;
      });
      const unsubscribeCatalog = catalog.subscribe(label);
      unsubscribe = () => {
        unsubscribeStore();
        unsubscribeCatalog();
      };
      void read();
    },
    close() {
      generation += 1;
      clearTimeout(timer);
      timer = 0;
      unsubscribe();
      unsubscribe = () => {};
      element.hidden = true;
    },
  };
}
