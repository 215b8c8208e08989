import { createBarChart } from './bar-chart.js';
import { backLink, clear, h, setText, showNotice } from './dom.js';
import { datasetTabs } from './dataset-tabs.js';
import { formatAccuracy, formatCount, formatInterval, oneLine } from './format.js';
import { leaderboardTable } from './leaderboard-table.js';
import { jobsHash } from './routes.js';
import { subscriptions } from './subscriptions.js';
import { onDatasetJobs, throttledRead } from './throttled-read.js';

/** Bars in the chart at most (a chart of hundreds of bars says nothing); the table has all. */
const CHART_LIMIT = 40;
/** While jobs of the dataset run, the leaderboard is read again at most this often. */
const REFRESH_GAP_MS = 1_500;

/**
 * A dataset's leaderboard (GET /v1/datasets/:id/leaderboard): pass rate by model × prompt
 * with its 95% interval as a chart and a table, with wrong answers, failures, latency
 * and tokens, and each prompt's round-table winner marked. It follows the dataset's
 * jobs: when one changes it reads the leaderboard again (revalidated with its ETag,
 * throttled), and redraws only when the answer changed.
 */
export function createLeaderboardView({ api, store, catalog }) {
  const title = h('h1');
  const facts = h('p', { class: 'dataset-facts' });
  const tabs = h('div');
  const status = h('p', { class: 'notice' });
  const chart = h('figure', { class: 'chart' });
  const board = h('div', { class: 'board' });
  const element = h(
    'section',
    { class: 'view leaderboard-view', hidden: true },
    backLink(jobsHash(), '← All jobs'),
    h('div', { class: 'view-head' }, title, facts),
    tabs,
    status,
    chart,
    board,
  );

  let datasetId = null;
  let generation = 0;
  let shown = false;
  let lastEntries = null;
  const listening = subscriptions();

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

  const promptLabel = (entry) =>
    `${catalog.promptLabel(entry.prompt_id)} ${oneLine(entry.prompt_text, 60)}`;

  function render(entries) {
    shown = true;
    lastEntries = entries;
    status.hidden = entries.length > 0;
    setText(status, 'No jobs over this dataset yet.');
    const bars = entries.slice(0, CHART_LIMIT).map((entry) => ({
      label: `${entry.round_table_winner ? '★ ' : ''}${entry.model_name} · ${catalog.promptLabel(entry.prompt_id)}`,
      title: `${entry.model_name} × ${catalog.promptLabel(entry.prompt_id)}: ${formatAccuracy(entry.pass_rate)}, 95% interval ${formatInterval(entry.pass_rate_ci95)}`,
      value: entry.pass_rate,
      valueText: formatAccuracy(entry.pass_rate),
      interval: entry.pass_rate_ci95,
    }));
    chart.replaceChildren(
      createBarChart({ title: 'Pass rate by model × prompt, with 95% intervals', bars }),
      h('figcaption', {
        text:
          'Pass rate (passed / graded answers) by model × prompt, best first, with its Wilson ' +
          "95% interval as a whisker; failed calls do not count. ★ marks each prompt's " +
          'round-table winner: the best model, significantly better than the runner-up (p < 0.05).' +
          (entries.length > CHART_LIMIT
            ? ` The best ${CHART_LIMIT} of ${formatCount(entries.length)}; the table lists them all.`
            : ''),
      }),
    );
    chart.hidden = entries.length === 0;
    board.replaceChildren(
      entries.length === 0 ? '' : leaderboardTable({ entries, promptLabel, datasetId }),
    );
  }

  async function read() {
    const mine = generation;
    try {
      const { body, changed } = await api.getJson(`/v1/datasets/${datasetId}/leaderboard`, {
        revalidate: true,
      });
      if (mine !== generation) return;
      if (changed || !shown) render(body.entries);
    } catch (error) {
      if (mine !== generation) return;
      showNotice(
        status,
        error.status === 404
          ? `There is no dataset #${datasetId}.`
          : `Could not read the leaderboard: ${error.message}`,
      );
      chart.hidden = true;
      clear(board);
    }
  }

  const reader = throttledRead(read, REFRESH_GAP_MS);

  return {
    element,
    open(route) {
      generation += 1;
      datasetId = route.datasetId;
      shown = false;
      lastEntries = null;
      clear(board);
      clear(chart);
      tabs.replaceChildren(datasetTabs(datasetId, 'leaderboard'));
      showNotice(status, 'Loading the leaderboard…');
      label();
      element.hidden = false;
      listening.replace(
        onDatasetJobs(store, datasetId, reader.soon),
        // Names arrive with the catalog: the chart and table say them.
        catalog.subscribe(() => {
          label();
          if (lastEntries) render(lastEntries);
        }),
        reader.cancel,
      );
      void reader.now();
    },
    close() {
      generation += 1;
      listening.clear();
      element.hidden = true;
    },
  };
}
