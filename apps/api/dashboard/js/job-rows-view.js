import { clear, h, labelCells, setText, showNotice, tableHead } from './dom.js';
import {
  DASH,
  formatAccuracy,
  formatCount,
  formatEta,
  formatLatency,
  formatPercent,
  formatRate,
  formatScore,
} from './format.js';
import { jobKey } from './job-store.js';
import { pagedList } from './paged-list.js';
import { createProgressBar } from './progress-bar.js';
import { jobRowsHash, jobsHash, leaderboardHash, ROW_FILTERS } from './routes.js';
import { subscriptions } from './subscriptions.js';
import { verdictBadge, verdictOf } from './verdict.js';

const PAGE_SIZE = 50;
const COLUMNS = [
  'Row',
  'Content',
  'Expected',
  'Output',
  'Verdict',
  'Score',
  'Error',
  'Attempts',
  'Time',
];
/** The tabs; `success` (every successful call) is still a valid link, just not a tab. */
const TABS = ['failed', 'wrong', 'right', 'ungraded', 'all'];

/** How many rows of a kind the job holds, from its live counters. */
const COUNTS = {
  failed: (job) => job.failed,
  wrong: (job) => job.succeeded - job.passed - job.ungraded,
  right: (job) => job.passed,
  ungraded: (job) => job.ungraded,
  success: (job) => job.succeeded,
  all: (job) => job.done,
};
const NAMES = {
  failed: 'failed calls',
  wrong: 'wrong answers',
  right: 'right answers',
  ungraded: 'ungraded answers',
  success: 'succeeded rows',
  all: 'processed rows',
};

/** Text from the API in a cell: shown as text, long values scroll inside the cell. */
const textCell = (value, className = '') =>
  h(
    'td',
    { class: className },
    value === null || value === '' ? DASH : h('div', { class: 'text', text: value }),
  );

/**
 * One job's rows with their outcome (GET /v1/predictions for the job), 50 at a time:
 * failed calls with their errors, wrong answers (graded, not passed), right answers,
 * ungraded ones, or all, one tab each, reached from the counts in the jobs list and the
 * leaderboard. A row's verdict opens its grading. Dataset content, prompts and model
 * output are untrusted: every value is put in the page as text.
 */
export function createJobRowsView({ api, store, catalog, panel }) {
  const title = h('h1');
  const bar = createProgressBar('job progress');
  const numbers = h('p', { class: 'job-numbers' });
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Which rows' });
  const leaderboardLink = h('a', { text: 'Leaderboard' });
  const status = h('p', { class: 'notice' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'job-rows stack' },
    tableHead(COLUMNS, ['Row', 'Score', 'Attempts', 'Time']),
    tbody,
  );
  const more = h('button', { type: 'button', class: 'load-more', text: 'Load more' });
  const element = h(
    'section',
    { class: 'view job-rows-view', hidden: true },
    h(
      'nav',
      { class: 'crumbs' },
      h('a', { href: jobsHash(), text: '← All jobs' }),
      ' · ',
      leaderboardLink,
    ),
    h(
      'div',
      { class: 'view-head' },
      title,
      h('div', { class: 'job-progress' }, bar.element, numbers),
    ),
    tabs,
    status,
    table,
    more,
  );

  let route = null;
  let loaded = 0;
  let firstPageShown = false;
  const listening = subscriptions();

  function label() {
    const { model_id, prompt_id, dataset_id } = route.job;
    setText(
      title,
      `${catalog.candidateName({ model_id, prompt_id })} on ${catalog.datasetName(dataset_id)}`,
    );
    title.title = catalog.promptText(prompt_id).slice(0, 2000);
  }

  function showProgress() {
    const job = store.get(jobKey(route.job));
    if (!job) {
      setText(numbers, store.loaded ? 'This job does not exist (any more).' : 'Loading…');
      return;
    }
    bar.update(job);
    setText(
      numbers,
      `${job.status} · ${formatPercent(job.percent)} · ${formatCount(job.done)} of ${formatCount(job.total)} rows done · ` +
        `${formatCount(COUNTS.wrong(job))} wrong · ${formatCount(job.failed)} failed · pass rate ${formatAccuracy(job.pass_rate)} · ` +
        `${formatRate(job.rate_per_s)} · ETA ${formatEta(job)}`,
    );
    showCounts();
  }

  /** "Showing 50 of 120 wrong answers": the total from the job's live counters. */
  function showCounts() {
    if (!firstPageShown) return;
    const job = store.get(jobKey(route.job));
    const total = job === undefined ? null : COUNTS[route.status](job);
    const what = NAMES[route.status];
    showNotice(
      status,
      loaded === 0 && pages.done && total === 0
        ? `No ${what} yet.`
        : `Showing ${formatCount(loaded)}${total === null ? '' : ` of ${formatCount(total)}`} ${what}.`,
    );
  }

  function rowOf(p) {
    const prompt = p.formatted_prompt
      ? h(
          'details',
          {},
          h('summary', { text: 'prompt sent' }),
          h('div', { class: 'text', text: p.formatted_prompt }),
        )
      : null;
    return labelCells(
      h(
        'tr',
        { data: { row: p.row_id, status: p.status } },
        h('td', { class: 'num', text: p.row_id }),
        h(
          'td',
          { class: 'content' },
          p.content === null ? DASH : h('div', { class: 'text', text: p.content }),
          prompt,
        ),
        textCell(p.expected_prediction),
        textCell(p.prediction, 'output'),
        h(
          'td',
          { class: 'verdict-cell' },
          h(
            'button',
            {
              type: 'button',
              class: 'link grading-link',
              title: 'Show the grading',
              on: { click: () => void panel.open(p.prediction_id) },
            },
            verdictBadge(verdictOf(p)),
          ),
        ),
        h('td', { class: 'num', text: formatScore(p.score) }),
        textCell(p.error, 'error'),
        h('td', { class: 'num', text: p.attempts }),
        h('td', { class: 'num', text: formatLatency(p.prediction_time) }),
      ),
      COLUMNS,
    );
  }

  const pages = pagedList({
    button: more,
    async readPage(cursor) {
      const { model_id, prompt_id, dataset_id } = route.job;
      const query = new URLSearchParams({
        model_id: String(model_id),
        prompt_id: String(prompt_id),
        dataset_id: String(dataset_id),
        limit: String(PAGE_SIZE),
      });
      for (const [name, value] of Object.entries(ROW_FILTERS[route.status].query)) {
        query.set(name, value);
      }
      if (cursor !== null) query.set('cursor', cursor);
      return (await api.getJson(`/v1/predictions?${query}`)).body;
    },
    onPage(body) {
      const fragment = document.createDocumentFragment();
      for (const prediction of body.items) fragment.append(rowOf(prediction));
      tbody.append(fragment);
      loaded += body.items.length;
      firstPageShown = true;
      table.hidden = loaded === 0;
      showCounts();
    },
    onError(error) {
      showNotice(status, `Could not read the rows: ${error.message}`);
    },
  });

  return {
    element,
    open(next) {
      route = next;
      pages.reset();
      loaded = 0;
      firstPageShown = false;
      clear(tbody);
      table.hidden = true;
      showNotice(status, 'Loading rows…');
      leaderboardLink.setAttribute('href', leaderboardHash(route.job.dataset_id));
      tabs.replaceChildren(
        ...TABS.map((status) =>
          h('a', {
            href: jobRowsHash(route.job, status),
            text: ROW_FILTERS[status].text,
            'aria-current': status === route.status ? 'page' : null,
          }),
        ),
      );
      label();
      showProgress();
      element.hidden = false;
      // One job's numbers: cheap enough to refresh on every batch.
      listening.replace(store.subscribe(showProgress), catalog.subscribe(label));
      void pages.next();
    },
    close() {
      pages.reset();
      listening.clear();
      element.hidden = true;
    },
  };
}
