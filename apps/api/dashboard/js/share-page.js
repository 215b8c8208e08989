import { h, labelCells, setText, tableHead } from './dom.js';
import { formatAccuracy, formatCount, formatPercent, oneLine } from './format.js';
import { createProgressBar } from './progress-bar.js';
import { runBarState } from './run-state.js';
import { runSummarySection } from './run-summary.js';

/**
 * The read-only page of a share link (/share/<token>): the run's progress, each
 * candidate's job, and once the run is completed its leaderboard, comparisons and
 * winners. It reads /share/<token>/data (no API token: the link is the key) and polls
 * while the run is unfinished. Everything from the API is set as text.
 */

const POLL_MS = 3000;
const FINAL = new Set(['completed', 'canceled']);
const JOB_COLUMNS = ['Model', 'Prompt', 'Status', 'Progress', 'Failed', 'Pass rate'];
const view = document.getElementById('view');
const dataUrl = `${location.pathname.replace(/\/+$/, '')}/data`;

function runHeader(data) {
  const { run, dataset } = data;
  const bar = createProgressBar('progress of the run');
  bar.update(runBarState(run));
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
  if (!data.summary) return [];
  const names = {
    model: (id) => data.candidates.find((c) => c.model_id === id)?.model_name ?? `model ${id}`,
    prompt: (id) => data.candidates.find((c) => c.prompt_id === id)?.prompt_label ?? `prompt ${id}`,
  };
  return runSummarySection(data.summary, { names });
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
