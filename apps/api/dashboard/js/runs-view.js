import { h, labelCells, showNotice, tableHead } from './dom.js';
import { formatCount, formatDateTime, formatPercent } from './format.js';
import { createProgressBar } from './progress-bar.js';
import { jobsHash, runHash } from './routes.js';
import { runBarState, runName } from './run-state.js';
import { subscriptions } from './subscriptions.js';
import { throttledRead } from './throttled-read.js';

const COLUMNS = ['Run', 'Dataset', 'Candidates', 'Status', 'Progress', 'Done', 'Failed', 'Created'];
const PAGE_SIZE = 50;
const REFRESH_GAP_MS = 1_500;

/**
 * Every run, newest first (GET /v1/runs): the dashboard's home. Each with its status,
 * aggregated progress, failures and when it was created, linking to its page. While
 * jobs change (the job store's live events) the list is read again, throttled and
 * revalidated with its ETag.
 */
export function createRunsView({ api, store, catalog }) {
  const notice = h('p', { class: 'notice' });
  const tbody = h('tbody');
  const table = h('table', { class: 'runs stack' }, tableHead(COLUMNS, ['Done', 'Failed']), tbody);
  const more = h('button', { type: 'button', class: 'load-more', text: 'Load more runs' });
  const element = h(
    'section',
    { class: 'view runs-view', hidden: true },
    h(
      'div',
      { class: 'view-head' },
      h('h1', { text: 'Runs' }),
      h('p', {
        class: 'intro',
        text: 'Evaluations launched as a whole (evalq run, POST /v1/runs). ',
      }),
    ),
    notice,
    table,
    more,
  );

  let generation = 0;
  let runs = [];
  let cursor = null;
  const listening = subscriptions();

  function rowOf(run) {
    const bar = createProgressBar(`progress of ${runName(run)}`);
    bar.update(runBarState(run));
    return labelCells(
      h(
        'tr',
        { data: { run: run.id } },
        h('td', { class: 'run-name' }, h('a', { href: runHash(run.id), text: runName(run) })),
        h('td', { text: catalog.datasetName(run.dataset_id) }),
        h('td', {
          class: 'num',
          text: `${run.model_ids.length} × ${run.prompt_ids.length}`,
          title: `${run.model_ids.length} models × ${run.prompt_ids.length} prompts`,
        }),
        h('td', {}, h('span', { class: 'status', data: { status: run.status }, text: run.status })),
        h(
          'td',
          {},
          h(
            'div',
            { class: 'progress' },
            bar.element,
            h('span', { class: 'percent', text: formatPercent(run.progress.percent) }),
          ),
        ),
        h('td', {
          class: 'num',
          text: `${formatCount(run.progress.done)} / ${formatCount(run.progress.total)}`,
        }),
        h('td', { class: 'num failed', text: formatCount(run.progress.failed) }),
        h('td', { class: 'created', text: formatDateTime(run.created_at) }),
      ),
      COLUMNS,
    );
  }

  function render() {
    tbody.replaceChildren(...runs.map(rowOf));
    table.hidden = runs.length === 0;
    more.hidden = cursor === null;
    notice.hidden = runs.length > 0;
    notice.replaceChildren(
      'No runs yet: launch one with `evalq run` or POST /v1/runs. Jobs launched one by one are under ',
      h('a', { href: jobsHash(), text: 'Jobs' }),
      '.',
    );
  }

  /** The runs read so far, again (one call): statuses and progress move. */
  async function refresh() {
    const mine = generation;
    const limit = Math.min(Math.max(runs.length, PAGE_SIZE), 500);
    try {
      const { body, changed } = await api.getJson(`/v1/runs?limit=${limit}`, { revalidate: true });
      if (mine !== generation || (!changed && runs.length > 0)) return;
      runs = body.items;
      cursor = body.next_cursor;
      render();
    } catch (error) {
      if (mine !== generation) return;
      showNotice(notice, `Could not read the runs: ${error.message}`);
    }
  }
  const reader = throttledRead(refresh, REFRESH_GAP_MS);

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const { body } = await api.getJson(
        `/v1/runs?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}`,
      );
      runs = [...runs, ...body.items];
      cursor = body.next_cursor;
      render();
    } finally {
      more.disabled = false;
    }
  });

  return {
    element,
    open() {
      generation += 1;
      element.hidden = false;
      if (runs.length === 0) {
        showNotice(notice, 'Loading runs…');
        table.hidden = true;
      }
      listening.replace(store.subscribe(reader.soon), catalog.subscribe(render), reader.cancel);
      void reader.now();
    },
    close() {
      generation += 1;
      listening.clear();
      element.hidden = true;
    },
  };
}
