import { h, setAttr, setText } from './dom.js';
import {
  formatAccuracy,
  formatCount,
  formatEta,
  formatPercent,
  formatRate,
  formatStatus,
  formatUsd,
  oneLine,
  statusKind,
} from './format.js';
import { progressBar, progressBarElement } from './progress-bar.js';
import { jobRowsHash } from './routes.js';

let prototypeRow = null;

/**
 * A row's elements without content. Built once and deep-cloned for every job: a clone
 * costs a fraction of building the same elements one by one (it matters at 1,000 rows).
 * A grid row rather than a table row, so rows off screen can skip layout and paint
 * (content-visibility), which a table's rows cannot.
 */
function blankRow() {
  const cell = (className, label, ...children) =>
    h('div', { role: 'cell', class: className, data: { label } }, children);
  prototypeRow ??= h(
    'div',
    { role: 'row', class: 'job' },
    cell('model', 'Model'),
    cell('prompt', 'Prompt'),
    cell('state', 'Status', h('span', { class: 'status' })),
    cell('progress', 'Progress', progressBarElement(''), h('span', { class: 'percent' })),
    cell('num', 'Done', h('a')),
    cell('num', 'Failed', h('a', { class: 'failed-count' })),
    cell('num', 'Wrong', h('a', { class: 'wrong-count' })),
    cell('num', 'Pass rate'),
    cell('num', 'Cost'),
    cell('num', 'Rate'),
    cell('num', 'ETA'),
  );
  return prototypeRow.cloneNode(true);
}

/**
 * One job's line in the jobs list. Built once; `update` rewrites only the cells whose
 * text changed, so a progress event for one job touches one row.
 */
export class JobRow {
  constructor(key, job) {
    this.key = key;
    this.job = job;
    this.element = blankRow();
    this.element.dataset.job = key;
    const [model, prompt, status, progress, done, failed, wrong, passRate, cost, rate, eta] =
      this.element.children;
    this.modelCell = model;
    this.promptCell = prompt;
    this.status = status.firstChild;
    this.bar = progressBar(progress.firstChild);
    this.percent = progress.lastChild;
    this.done = done.firstChild;
    this.done.setAttribute('href', jobRowsHash(job, 'all'));
    this.failed = failed.firstChild;
    this.wrong = wrong.firstChild;
    this.passRate = passRate;
    this.cost = cost;
    this.rate = rate;
    this.eta = eta;
    this.searchText = '';
    this.update(job);
  }

  /** Names from the catalog (untrusted text: set as text and titles only). */
  label(catalog) {
    const { model_id, prompt_id, dataset_id } = this.job;
    const model = catalog.modelName(model_id);
    const promptText = catalog.promptText(prompt_id);
    setText(this.modelCell, model);
    setAttr(
      this.modelCell,
      'title',
      `model #${model_id} (${catalog.models.get(model_id)?.source ?? '?'})`,
    );
    setText(this.promptCell, `${catalog.promptLabel(prompt_id)} ${oneLine(promptText, 60)}`);
    setAttr(this.promptCell, 'title', promptText.slice(0, 2000));
    this.bar.setLabel(`progress of ${model} × prompt #${prompt_id}`);
    this.searchText = [
      `${model_id}/${prompt_id}/${dataset_id}`,
      model,
      promptText,
      catalog.datasetName(dataset_id),
    ]
      .join('\n')
      .toLowerCase();
  }

  update(job) {
    this.job = job;
    setText(this.status, formatStatus(job));
    setAttr(this.status, 'data-status', statusKind(job));
    setAttr(this.status, 'title', job.status === 'paused' ? (job.paused_message ?? '') : '');
    this.bar.update(job);
    setText(this.percent, formatPercent(job.percent));
    setText(this.done, `${formatCount(job.done)} / ${formatCount(job.total)}`);
    setAttr(
      this.done,
      'title',
      `${formatCount(job.in_progress)} in progress, ${formatCount(job.pending)} pending`,
    );
    setText(this.failed, formatCount(job.failed));
    if (job.failed > 0) setAttr(this.failed, 'href', jobRowsHash(job, 'failed'));
    else this.failed.removeAttribute('href');
    const wrong = job.succeeded - job.passed - job.ungraded;
    setText(this.wrong, formatCount(wrong));
    if (wrong > 0) setAttr(this.wrong, 'href', jobRowsHash(job, 'wrong'));
    else this.wrong.removeAttribute('href');
    setText(this.passRate, formatAccuracy(job.pass_rate));
    setText(this.cost, formatUsd(job.cost_usd));
    setAttr(
      this.cost,
      'title',
      job.cost_per_pass_usd === null ? '' : `${formatUsd(job.cost_per_pass_usd)} per passed row`,
    );
    setText(this.rate, job.status === 'pending' ? '—' : formatRate(job.rate_per_s));
    setText(this.eta, formatEta(job));
  }
}
