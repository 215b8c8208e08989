import { backLink, h, labelCells, setText, showNotice, tableHead } from './dom.js';
import {
  formatAccuracy,
  formatCount,
  formatDateTime,
  formatPercent,
  formatStatus,
  formatUsd,
  statusKind,
} from './format.js';
import { jobKey } from './job-store.js';
import { createProgressBar } from './progress-bar.js';
import { gridHash, jobRowsHash, leaderboardHash, runsHash } from './routes.js';
import { runBarState, runIsOpen, runName } from './run-state.js';
import { runSummarySection } from './run-summary.js';
import { createShareBox } from './share-box.js';
import { subscriptions } from './subscriptions.js';
import { throttledRead } from './throttled-read.js';

const JOB_COLUMNS = [
  'Model',
  'Prompt',
  'Status',
  'Progress',
  'Done',
  'Wrong',
  'Failed',
  'Pass rate',
];
const REFRESH_GAP_MS = 1_500;

/**
 * One run (GET /v1/runs/:id): status, aggregated progress, each job's progress live
 * (from the job store's events), and once completed its summary: leaderboard,
 * comparisons, winners. Cancel (DELETE /v1/runs/:id, asked twice) and share controls.
 * The run itself is read again, throttled and revalidated, when one of its jobs changes.
 */
export function createRunView({ api, store, catalog }) {
  const title = h('h1');
  const statusBadge = h('span', { class: 'status' });
  const facts = h('p', { class: 'dataset-facts' });
  const bar = createProgressBar('progress of the run');
  const percent = h('span', { class: 'percent' });
  const numbers = h('p', { class: 'job-numbers' });
  const notice = h('p', { class: 'notice' });
  const cancel = h('button', { type: 'button', class: 'quiet cancel-run', text: 'Cancel run' });
  const confirmCancel = h('button', {
    type: 'button',
    class: 'danger confirm-cancel',
    text: 'Yes, cancel its unfinished jobs',
    hidden: true,
  });
  const shareBox = createShareBox({ api });
  const jobsBody = h('tbody');
  const gridLink = h('a', { text: 'Grid of its rows × candidates →' });
  const summary = h('div', { class: 'run-summary' });
  const element = h(
    'section',
    { class: 'view run-view', hidden: true },
    backLink(runsHash(), '← All runs'),
    h('div', { class: 'view-head' }, title, statusBadge),
    facts,
    h('div', { class: 'job-progress run-progress' }, bar.element, percent),
    numbers,
    h('div', { class: 'actions' }, cancel, confirmCancel),
    shareBox.element,
    notice,
    h('h2', { class: 'section-title', text: 'Jobs' }),
    h(
      'table',
      { class: 'run-jobs stack' },
      tableHead(JOB_COLUMNS, ['Done', 'Wrong', 'Failed', 'Pass rate']),
      jobsBody,
    ),
    h('p', { class: 'grid-link' }, gridLink),
    summary,
  );

  let runId = null;
  let run = null;
  let generation = 0;
  /** job key → its row's live parts */
  const jobRows = new Map();
  const listening = subscriptions();

  function jobRow(key, entry) {
    const progressBar = createProgressBar(`progress of ${catalog.candidateName(entry)}`);
    const cells = {
      status: h('span', { class: 'status' }),
      percent: h('span', { class: 'percent' }),
      done: h('a'),
      wrong: h('a', { class: 'wrong-count' }),
      failed: h('a', { class: 'failed-count' }),
      passRate: h('td', { class: 'num accuracy' }),
    };
    const row = labelCells(
      h(
        'tr',
        { data: { job: key } },
        h('td', { class: 'model', text: catalog.modelName(entry.model_id) }),
        h('td', {
          class: 'prompt',
          title: catalog.promptText(entry.prompt_id).slice(0, 2000),
          text: catalog.promptLabel(entry.prompt_id),
        }),
        h('td', {}, cells.status),
        h('td', {}, h('div', { class: 'progress' }, progressBar.element, cells.percent)),
        h('td', { class: 'num' }, cells.done),
        h('td', { class: 'num' }, cells.wrong),
        h('td', { class: 'num failed' }, cells.failed),
        cells.passRate,
      ),
      JOB_COLUMNS,
    );
    return { row, progressBar, cells };
  }

  /** A job's line from its latest progress: the store's (live), else the run's copy. */
  function updateJob(key, entry) {
    const parts = jobRows.get(key);
    const job = store.get(key) ?? entry.job;
    const { cells } = parts;
    if (job === null || job === undefined) {
      setText(cells.status, 'cancelled');
      cells.status.dataset.status = 'gone';
      return;
    }
    const wrong = job.succeeded - job.passed - job.ungraded;
    setText(cells.status, formatStatus(job));
    cells.status.dataset.status = statusKind(job);
    parts.progressBar.update(job);
    setText(cells.percent, formatPercent(job.percent));
    setText(cells.done, `${formatCount(job.done)} / ${formatCount(job.total)}`);
    cells.done.setAttribute('href', jobRowsHash(job, 'all'));
    setText(cells.wrong, formatCount(wrong));
    setText(cells.failed, formatCount(job.failed));
    for (const [link, count, status] of [
      [cells.wrong, wrong, 'wrong'],
      [cells.failed, job.failed, 'failed'],
    ]) {
      if (count > 0) link.setAttribute('href', jobRowsHash(job, status));
      else link.removeAttribute('href');
    }
    setText(cells.passRate, formatAccuracy(job.pass_rate));
  }

  function render(next) {
    run = next;
    setText(title, runName(run));
    setText(statusBadge, run.status);
    statusBadge.dataset.status = run.status;
    facts.replaceChildren(
      'dataset ',
      h('a', { href: leaderboardHash(run.dataset_id), text: catalog.datasetName(run.dataset_id) }),
      ` · ${run.model_ids.length} models × ${run.prompt_ids.length} prompts · created ${formatDateTime(run.created_at)}` +
        (run.started_at ? ` · started ${formatDateTime(run.started_at)}` : '') +
        (run.completed_at ? ` · completed ${formatDateTime(run.completed_at)}` : '') +
        (run.canceled_at ? ` · cancelled ${formatDateTime(run.canceled_at)}` : '') +
        (run.cost ? ` · ${runCostText(run.cost)}` : ''),
    );
    bar.update(runBarState(run));
    setText(percent, formatPercent(run.progress.percent));
    setText(
      numbers,
      `${formatCount(run.progress.done)} of ${formatCount(run.progress.total)} rows done · ${formatCount(run.progress.failed)} failed`,
    );
    cancel.hidden = !runIsOpen(run);
    if (cancel.hidden) confirmCancel.hidden = true;
    for (const entry of run.jobs) {
      const key = jobKey({ ...entry, dataset_id: run.dataset_id });
      if (!jobRows.has(key)) {
        const parts = jobRow(key, entry);
        jobRows.set(key, { ...parts, entry });
        jobsBody.append(parts.row);
      }
      jobRows.get(key).entry = entry;
      updateJob(key, entry);
    }
    gridLink.setAttribute('href', gridHash(run.dataset_id, run.jobs));
    summary.replaceChildren(
      ...(run.summary
        ? runSummarySection(run.summary, {
            names: {
              model: (id) => catalog.modelName(id),
              prompt: (id) => catalog.promptLabel(id),
            },
            datasetId: run.dataset_id,
          })
        : [
            h('p', {
              class: 'notice',
              text:
                run.status === 'canceled'
                  ? 'This run was cancelled: it has no summary.'
                  : 'The summary (leaderboard, comparisons, winners) comes when every job is done.',
            }),
          ]),
    );
  }

  async function read() {
    const mine = generation;
    try {
      const { body, changed } = await api.getJson(`/v1/runs/${runId}`, { revalidate: true });
      if (mine !== generation) return;
      notice.hidden = true;
      if (changed || run === null) render(body);
    } catch (error) {
      if (mine !== generation) return;
      showNotice(
        notice,
        error.status === 404 ? 'There is no such run.' : `Could not read the run: ${error.message}`,
      );
    }
  }
  const reader = throttledRead(read, REFRESH_GAP_MS);

  cancel.addEventListener('click', () => {
    confirmCancel.hidden = false;
    confirmCancel.focus();
  });
  confirmCancel.addEventListener('click', async () => {
    confirmCancel.disabled = true;
    try {
      const canceled = await api.sendJson('DELETE', `/v1/runs/${runId}`);
      confirmCancel.hidden = true;
      render(canceled);
      showNotice(
        notice,
        `Cancelled ${canceled.canceled_jobs.length} unfinished job(s)` +
          (canceled.kept_jobs.length > 0
            ? `; ${canceled.kept_jobs.length} kept because another run uses them.`
            : '.'),
      );
    } catch (error) {
      showNotice(notice, `Could not cancel: ${error.message}`);
    } finally {
      confirmCancel.disabled = false;
    }
  });

  /** A batch of job changes: this run's jobs are redrawn, and the run read again soon. */
  function onJobs({ changed, removed }) {
    if (run === null) return;
    let mine = false;
    for (const key of [...changed, ...removed]) {
      const parts = jobRows.get(key);
      if (!parts) continue;
      mine = true;
      updateJob(key, parts.entry);
    }
    if (mine) reader.soon();
  }

  return {
    element,
    open(route) {
      generation += 1;
      runId = route.runId;
      run = null;
      jobRows.clear();
      jobsBody.replaceChildren();
      summary.replaceChildren();
      shareBox.reset(runId);
      confirmCancel.hidden = true;
      cancel.hidden = true;
      setText(title, 'Run');
      setText(statusBadge, '');
      showNotice(notice, 'Loading the run…');
      element.hidden = false;
      listening.replace(
        catalog.subscribe(() => {
          if (run !== null) render(run);
        }),
        store.subscribe(onJobs),
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

/** A run's spend against its budget (docs/cost.md). */
function runCostText(cost) {
  const budget =
    cost.budget.max_cost_usd === null ? '' : ` of a ${formatUsd(cost.budget.max_cost_usd)} budget`;
  const spent =
    cost.cost_usd === null
      ? 'cost unknown (no price)'
      : `${formatUsd(cost.cost_usd)} spent${budget}`;
  return cost.cache_hit_rate === null
    ? spent
    : `${spent} · cache hit rate ${formatPercent(cost.cache_hit_rate * 100)}`;
}
