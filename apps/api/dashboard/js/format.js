/** How numbers, rates and durations are written on the page. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

export const DASH = '—';

export function formatCount(n) {
  return n === null || n === undefined ? DASH : integer.format(n);
}

/** 42.5 → "42.5 %" */
export function formatPercent(percent) {
  return percent === null || percent === undefined ? DASH : `${oneDecimal.format(percent)} %`;
}

/** An accuracy in [0, 1] as a percentage. */
export function formatAccuracy(accuracy) {
  return accuracy === null || accuracy === undefined ? DASH : formatPercent(accuracy * 100);
}

/** Rows per second. */
export function formatRate(rate) {
  if (rate === null || rate === undefined) return DASH;
  if (rate >= 100) return `${integer.format(rate)}/s`;
  if (rate >= 10) return `${oneDecimal.format(rate)}/s`;
  return `${rate.toFixed(2)}/s`;
}

/** Seconds as "45 s", "3 m 05 s", "2 h 10 m", "3 d 4 h". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return DASH;
  if (seconds < 1) return '< 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const pad = (n) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/**
 * What a batch job's provider batches are doing (docs/batch.md), or '' when it has none
 * open: its bar stands still for hours while the provider works.
 */
export function formatBatchPhase(batch) {
  if (!batch || batch.phase === 'done') return '';
  if (batch.phase === 'uploading') return 'batch: uploading';
  if (batch.phase === 'ingesting') return 'batch: ingesting results';
  const failed = batch.provider_failed > 0 ? `, ${formatCount(batch.provider_failed)} failed` : '';
  return `batch: waiting on provider ${formatCount(batch.provider_completed)}/${formatCount(batch.provider_total)}${failed}`;
}

/** The time until a job is done, as the jobs table shows it (a batch job: its phase). */
export function formatEta(job) {
  if (job.status === 'done') return 'done';
  return formatBatchPhase(job.batch) || formatDuration(job.eta_s);
}

/** A call's latency in seconds: "240 ms", "3.4 s". */
export function formatLatency(seconds) {
  if (seconds === null || seconds === undefined) return DASH;
  if (seconds < 10) return `${integer.format(seconds * 1000)} ms`;
  return `${oneDecimal.format(seconds)} s`;
}

/** A prompt template or row on one line, cut to `max` characters. */
export function oneLine(text, max = 80) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A score in [0, 1] with three decimals; a score difference with its sign. */
export function formatScore(score, { signed = false } = {}) {
  if (score === null || score === undefined) return DASH;
  const text = score.toFixed(3);
  return signed && score > 0 ? `+${text}` : text;
}

/** A p-value as people read it: two significant digits, never rounded to 0. */
export function formatP(p) {
  if (p === null || p === undefined) return DASH;
  if (p >= 0.0001) return String(Number(p.toPrecision(2)));
  return p.toExponential(1);
}

/** A Wilson interval [lo, hi] of a rate as "61.5 % – 79.0 %". */
export function formatInterval(interval) {
  return interval ? `${formatAccuracy(interval[0])} – ${formatAccuracy(interval[1])}` : DASH;
}

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** An ISO timestamp as a date and time in the browser's time zone. */
export function formatDateTime(iso) {
  return iso === null || iso === undefined ? DASH : dateTime.format(new Date(iso));
}

/** USD: cents for large sums, three significant digits for the small ones calls cost. */
export function formatUsd(value) {
  if (value === null || value === undefined) return DASH;
  if (value === 0) return '$0';
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(3)}`;
}

/**
 * A job's status as a person should read it: why it is paused, and a finished job whose
 * rows all failed never shown as a plain "done" (docs/cost.md).
 */
export function formatStatus(job) {
  if (job.status === 'paused') return `paused: ${job.paused_reason ?? 'unknown'}`;
  if (job.status === 'done' && job.outcome === 'failed') return 'failed';
  if (job.status === 'done' && job.outcome === 'partly_failed') return 'done, some failed';
  return job.status;
}

/** The data-status a badge is coloured by: an all-failed job is coloured as failed. */
export function statusKind(job) {
  return job.status === 'done' && job.outcome === 'failed' ? 'failed' : job.status;
}
