import { h } from './dom.js';

/**
 * A prediction's verdict in one word: passed, wrong (graded, not passed), ungraded (a
 * successful call without a verdict), failed (the call failed), or none (not yet).
 */
export function verdictOf(prediction) {
  if (prediction === null || prediction === undefined) return 'none';
  if (prediction.status === 'failed') return 'failed';
  if (prediction.passed === true) return 'passed';
  if (prediction.passed === false) return 'wrong';
  return 'ungraded';
}

const TEXT = {
  passed: '✓ pass',
  wrong: '✗ wrong',
  ungraded: '? ungraded',
  failed: '! failed',
  none: '—',
};

/** The verdict as a badge (coloured by dashboard.css through data-verdict). */
export function verdictBadge(verdict) {
  return h('span', { class: 'verdict', data: { verdict }, text: TEXT[verdict] });
}
