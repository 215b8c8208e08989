import { h, labelCells, setText, tableHead } from './dom.js';
import {
  DASH,
  formatAccuracy,
  formatCount,
  formatLatency,
  formatPercent,
  oneLine,
} from './format.js';
import { createProgressBar } from './progress-bar.js';

/**
 * The read-only page of a share link (/share/<token>): the run's progress, each
 * candidate's job, and once the run is completed its leaderboard, comparisons and
 * winners. It reads /share/<token>/data (no API token: the link is the key) and polls
 * while the run is unfinished. Everything from the API is set as text.
 */

const POLL_MS = 3000;
const FINAL = new Set(['completed', 'canceled']);
const JOB_COLUMNS = ['Model', 'Prompt', 'Status', 'Progress', 'Failed', 'Pass rate'];
const BOARD_COLUMNS = [
  '#',
  'Model',
  'Prompt',
  'Graded',
  'Pass rate',
  '95% interval',
  'Score',
  'Failed',
  'Ungraded',
  'p50',
];

const view = document.getElementById('view');
const dataUrl = `${location.pathname.replace(/\/+$/, '')}/data`;

function candidateName(data, key) {
  const c = data.candidates.find(
    (x) => x.model_id === key.model_id && x.prompt_id === key.prompt_id,
  );
  return c ? `${c.model_name ?? `model ${key.model_id}`} × ${c.prompt_label}` : DASH;
}

function formatInterval(interval) {
  return interval ? `${formatAccuracy(interval[0])} – ${formatAccuracy(interval[1])}` : DASH;
}

/** "a vs b: 37 vs 12 rows (of 80 paired), p = 0.00044 — a is better". */
function comparisonText(data, c) {
  const a = candidateName(data, c.a);
  const b = candidateName(data, c.b);
  const verdict =
    c.winner === null
      ? 'no significant difference'
      : `${c.winner === 'a' ? a : b} is significantly better`;
  return (
    `${a} vs ${b}: each passes alone on ${formatCount(c.a_only)} vs ${formatCount(c.b_only)} ` +
    `of ${formatCount(c.n_paired)} shared rows, p = ${Number(c.mcnemar_p.toPrecision(2))} — ${verdict}`
  );
}

function runHeader(data) {
  const { run, dataset } = data;
  const bar = createProgressBar('progress of the run');
  bar.update({
    total: run.progress.total,
    succeeded: run.progress.done - run.progress.failed,
    failed: run.progress.failed,
    percent: run.progress.percent,
    status: run.status === 'completed' ? 'done' : run.status,
  });
  return [
    h(
      'div',
      { class: 'view-head' },
      h('h1', { text: run.name ?? 'Evaluation run' }),
      h('span', { class: 'status', data: { status: run.status }, text: run.status }),
    ),
    h('p', {
      class: 'dataset-facts',
      text: `dataset “${dataset.name}” · ${formatCount(dataset.row_count)} rows · ${formatCount(data.candidates.length)} candidates`,
    }),
    h(
      'div',
      { class: 'job-progress run-progress' },
      bar.element,
      h('span', { class: 'percent', text: formatPercent(run.progress.percent) }),
    ),
    h('p', {
      class: 'job-numbers',
      text: `${formatCount(run.progress.done)} of ${formatCount(run.progress.total)} rows done · ${formatCount(run.progress.failed)} failed`,
    }),
  ];
}

function jobsTable(data) {
  return h(
    'table',
    { class: 'stack share-jobs' },
    tableHead(JOB_COLUMNS, ['Failed', 'Pass rate']),
    h(
      'tbody',
      {},
      data.candidates.map((c) => {
        const bar = createProgressBar(`progress of ${c.model_name} × ${c.prompt_label}`);
        if (c.job) bar.update({ ...c.job, succeeded: c.job.done - c.job.failed });
        return labelCells(
          h(
            'tr',
            { data: { candidate: `${c.model_id}/${c.prompt_id}` } },
            h('td', { class: 'model', text: c.model_name ?? `model ${c.model_id}` }),
            h('td', {
              class: 'prompt',
              title: (c.prompt_text ?? '').slice(0, 2000),
              text: c.prompt_label,
            }),
            h(
              'td',
              {},
              h('span', {
                class: 'status',
                data: { status: c.job?.status ?? 'gone' },
                text: c.job?.status ?? 'cancelled',
              }),
            ),
            h(
              'td',
              {},
              h(
                'div',
                { class: 'progress' },
                bar.element,
                h('span', { class: 'percent', text: formatPercent(c.job?.percent ?? 0) }),
              ),
            ),
            h('td', { class: 'num failed', text: formatCount(c.job?.failed ?? null) }),
            h('td', { class: 'num accuracy', text: formatAccuracy(c.job?.accuracy ?? null) }),
          ),
          JOB_COLUMNS,
        );
      }),
    ),
  );
}

function summarySection(data) {
  const { summary } = data;
  if (!summary) return [];
  const board = h(
    'table',
    { class: 'stack leaderboard' },
    tableHead(BOARD_COLUMNS, ['#', 'Graded', 'Pass rate', 'Score', 'Failed', 'Ungraded', 'p50']),
    h(
      'tbody',
      {},
      summary.leaderboard.map((row, index) =>
        labelCells(
          h(
            'tr',
            { data: { candidate: `${row.model_id}/${row.prompt_id}` } },
            h('td', { class: 'num', text: index + 1 }),
            h('td', {
              class: 'model',
              text: `${row.model_name ?? `model ${row.model_id}`}${row.round_table_winner ? ' ★' : ''}`,
            }),
            h('td', { class: 'prompt', text: row.prompt_label }),
            h('td', { class: 'num', text: formatCount(row.n) }),
            h('td', { class: 'num accuracy', text: formatAccuracy(row.pass_rate) }),
            h('td', { class: 'interval', text: formatInterval(row.pass_rate_ci95) }),
            h('td', {
              class: 'num',
              text: row.mean_score === null ? DASH : row.mean_score.toFixed(3),
            }),
            h('td', { class: 'num failed', text: formatCount(row.failed) }),
            h('td', { class: 'num', text: formatCount(row.ungraded) }),
            h('td', { class: 'num', text: formatLatency(row.latency_p50_s) }),
          ),
          BOARD_COLUMNS,
        ),
      ),
    ),
  );
  const comparisons = summary.comparisons.map((c) => h('li', { text: comparisonText(data, c) }));
  const winners = summary.winners.map((w) => {
    const prompt = data.candidates.find((c) => c.prompt_id === w.prompt_id)?.prompt_label;
    const model = data.candidates.find((c) => c.model_id === w.model_id)?.model_name;
    return h('li', {
      text: `${prompt ?? `prompt ${w.prompt_id}`}: ${w.model_id === null ? 'no model is significantly better than the others' : (model ?? `model ${w.model_id}`)}`,
    });
  });
  return [
    h('h2', { class: 'section-title', text: 'Leaderboard' }),
    h('p', {
      class: 'notice',
      text:
        'Ranked by pass rate (passed / graded answers) with its 95% interval; ★ marks the ' +
        "prompt's winner: the best model, significantly better than the runner-up (p < 0.05).",
    }),
    board,
    h('h2', { class: 'section-title', text: 'Comparisons' }),
    comparisons.length > 0
      ? h('ul', { class: 'comparisons' }, comparisons)
      : h('p', { class: 'notice', text: 'No two candidates share a prompt or a model.' }),
    h('h2', { class: 'section-title', text: 'Winner per prompt' }),
    h('ul', { class: 'winners' }, winners),
  ];
}

function render(data) {
  view.replaceChildren(
    ...runHeader(data),
    h('h2', { class: 'section-title', text: 'Candidates' }),
    jobsTable(data),
    ...summarySection(data),
    h('p', {
      class: 'notice expires',
      text: `This link expires ${new Date(data.expires_at).toLocaleString()}.`,
    }),
  );
  document.title = `evalq: ${oneLine(data.run.name ?? 'shared run', 60)}`;
}

function fail(message) {
  const notice = h('p', { class: 'notice' });
  setText(notice, message);
  view.replaceChildren(notice);
}

async function load() {
  let response;
  try {
    response = await fetch(dataUrl, { cache: 'no-store', credentials: 'omit' });
  } catch {
    fail('Could not reach the server; retrying…');
    setTimeout(load, POLL_MS);
    return;
  }
  if (response.status === 410 || response.status === 404) {
    fail(
      response.status === 410
        ? 'This share link expired or was revoked. Ask whoever sent it for a new one.'
        : 'This share link does not exist.',
    );
    return;
  }
  if (!response.ok) {
    fail(`The server answered ${response.status}; retrying…`);
    setTimeout(load, POLL_MS);
    return;
  }
  const data = await response.json();
  render(data);
  if (!FINAL.has(data.run.status)) setTimeout(load, POLL_MS);
}

void load();
