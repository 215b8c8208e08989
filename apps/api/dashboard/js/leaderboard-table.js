import { h, labelCells, tableHead } from './dom.js';
import {
  DASH,
  formatAccuracy,
  formatCount,
  formatInterval,
  formatLatency,
  formatScore,
  formatStatus,
  formatUsd,
  statusKind,
} from './format.js';
import { intervalBar } from './interval-bar.js';
import { jobRowsHash } from './routes.js';

export const LEADERBOARD_COLUMNS = [
  '#',
  'Model',
  'Prompt',
  'Status',
  'Processed',
  'Pass rate',
  '95% interval',
  'Mean score',
  'Wrong',
  'Failed',
  'Ungraded',
  'p50',
  'p95',
  'Tokens in/out',
  'Cost',
  'Cost/pass',
];
const TEXT_COLUMNS = ['Model', 'Prompt', 'Status', '95% interval'];
const NUMERIC = LEADERBOARD_COLUMNS.filter((name) => !TEXT_COLUMNS.includes(name));

/** Graded successful predictions that did not pass. */
export const wrongCount = (entry) => entry.n - entry.passed;

/** A count that links to the job's rows of that kind when there are any (and links are on). */
function countLink(count, href, className) {
  const text = formatCount(count);
  return href && count > 0 ? h('a', { class: className, href, text }) : text;
}

/**
 * A leaderboard as a table, one row per candidate (model × prompt), best pass rate first,
 * as GET /v1/datasets/:id/leaderboard and a run's summary give it: rows processed of the
 * total, pass rate with its Wilson 95% interval (as numbers and drawn), mean score,
 * wrong answers, failed calls, ungraded, latency and tokens; ★ marks the round-table
 * winner of its prompt (p50 and p95: seconds per successful call). `datasetId` turns the counts into links to the job's rows (the
 * share page has none); `promptLabel(entry)` names the prompt.
 */
export function leaderboardTable({ entries, promptLabel, datasetId = null }) {
  const rows = entries.map((entry, index) => {
    const job = { model_id: entry.model_id, prompt_id: entry.prompt_id, dataset_id: datasetId };
    const link = (status) => (datasetId === null ? null : jobRowsHash(job, status));
    const winner = entry.round_table_winner;
    return labelCells(
      h(
        'tr',
        {
          class: winner ? 'winner' : null,
          data: { candidate: `${entry.model_id}/${entry.prompt_id}` },
        },
        h('td', { class: 'num', text: index + 1 }),
        h(
          'td',
          { class: 'model', title: `model #${entry.model_id}` },
          entry.model_name ?? `model #${entry.model_id}`,
          winner
            ? h('span', {
                class: 'winner-mark',
                title:
                  "round-table winner: the prompt's best, significantly better than the runner-up",
                text: ' ★',
              })
            : null,
        ),
        h('td', {
          class: 'prompt',
          title: (entry.prompt_text ?? '').slice(0, 2000),
          text: promptLabel(entry),
        }),
        h(
          'td',
          {},
          h('span', {
            class: 'status',
            data: { status: statusKind(entry) },
            text: formatStatus(entry),
          }),
        ),
        h(
          'td',
          { class: 'num processed' },
          countLink(entry.processed, link('all'), null),
          ` / ${formatCount(entry.total)}`,
        ),
        h('td', { class: 'num accuracy', text: formatAccuracy(entry.pass_rate) }),
        h(
          'td',
          { class: 'interval' },
          h('span', { text: formatInterval(entry.pass_rate_ci95) }),
          intervalBar(entry.pass_rate, entry.pass_rate_ci95, {
            label: `95% interval ${formatInterval(entry.pass_rate_ci95)}`,
          }),
        ),
        h('td', { class: 'num', text: formatScore(entry.mean_score) }),
        h('td', { class: 'num' }, countLink(wrongCount(entry), link('wrong'), 'wrong-count')),
        h('td', { class: 'num failed' }, countLink(entry.failed, link('failed'), 'failed-count')),
        h('td', { class: 'num' }, countLink(entry.ungraded, link('ungraded'), null)),
        h('td', { class: 'num', text: formatLatency(entry.latency_p50_s) }),
        h('td', { class: 'num', text: formatLatency(entry.latency_p95_s) }),
        h('td', {
          class: 'num',
          text:
            entry.prompt_tokens === null && entry.completion_tokens === null
              ? DASH
              : `${formatCount(entry.prompt_tokens)} / ${formatCount(entry.completion_tokens)}`,
        }),
        h('td', { class: 'num cost', text: formatUsd(entry.cost_usd) }),
        h('td', { class: 'num', text: formatUsd(entry.cost_per_pass_usd) }),
      ),
      LEADERBOARD_COLUMNS,
    );
  });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'leaderboard stack' },
      tableHead(LEADERBOARD_COLUMNS, NUMERIC),
      h('tbody', {}, rows),
    ),
  );
}
