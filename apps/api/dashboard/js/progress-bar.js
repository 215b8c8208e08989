import { h } from './dom.js';

/**
 * A job's progress bar: succeeded rows in the accent colour, failed rows after them in
 * red. Sized with transforms (no layout when it moves), exposed as a progressbar to
 * assistive technology (and to tests) through aria-valuenow.
 */
export function progressBarElement(label) {
  return h(
    'div',
    {
      class: 'bar',
      role: 'progressbar',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': '0',
      'aria-label': label,
    },
    h('span', { class: 'bar-ok' }),
    h('span', { class: 'bar-failed' }),
  );
}

/** Drives a bar built by progressBarElement (or a clone of one). */
export function progressBar(element) {
  const [ok, failed] = element.children;
  let last = '';
  return {
    element,
    setLabel(text) {
      if (element.getAttribute('aria-label') !== text) element.setAttribute('aria-label', text);
    },
    update(job) {
      const okShare = job.total > 0 ? job.succeeded / job.total : job.status === 'done' ? 1 : 0;
      const failedShare = job.total > 0 ? job.failed / job.total : 0;
      const state = `${job.percent}|${okShare}|${failedShare}`;
      if (state === last) return;
      last = state;
      element.setAttribute('aria-valuenow', String(job.percent));
      ok.style.transform = `scaleX(${okShare})`;
      failed.style.transform = `translateX(${okShare * 100}%) scaleX(${failedShare})`;
    },
  };
}

export function createProgressBar(label) {
  return progressBar(progressBarElement(label));
}
