/**
 * Every job's latest progress, keyed "model/prompt/dataset". Updates arrive one by one
 * (SSE) or as whole lists (polling); listeners hear about them once per animation
 * frame, as one batch of the keys that changed, so a burst of a thousand events costs
 * one DOM update pass, and a tab in the background costs nothing until it is shown.
 */

export const jobKey = (job) => `${job.model_id}/${job.prompt_id}/${job.dataset_id}`;

const STATUS_RANK = { pending: 0, running: 1, done: 2 };

/** The fields the page shows; equal signatures mean nothing to redraw. */
const signature = (job) =>
  `${job.status}|${job.total}|${job.done}|${job.failed}|${job.in_progress}|${job.passed}|${job.ungraded}|${job.regrading}|${job.rate_per_s}|${job.eta_s}|${job.updated_at}|${JSON.stringify(job.batch ?? null)}`;

/**
 * A list read before an event arrived can reach the page after it: an answer that is
 * older in every way (earlier change, no more rows done, no later status) is dropped.
 */
function isStale(incoming, current) {
  return (
    Date.parse(incoming.updated_at) < Date.parse(current.updated_at) &&
    incoming.done <= current.done &&
    STATUS_RANK[incoming.status] <= STATUS_RANK[current.status]
  );
}

export class JobStore {
  #jobs = new Map();
  #signatures = new Map();
  #changed = new Set();
  #removed = new Set();
  #listeners = new Set();
  #frame = 0;
  #loaded = false;

  /** True once a whole list has been read (before that, "no jobs" is not yet known). */
  get loaded() {
    return this.#loaded;
  }

  get size() {
    return this.#jobs.size;
  }

  get(key) {
    return this.#jobs.get(key);
  }

  values() {
    return this.#jobs.values();
  }

  /** One job's progress (an SSE event). */
  upsert(job) {
    const key = jobKey(job);
    const current = this.#jobs.get(key);
    if (current && isStale(job, current)) return;
    const sig = signature(job);
    if (this.#signatures.get(key) === sig) return;
    this.#jobs.set(key, job);
    this.#signatures.set(key, sig);
    this.#removed.delete(key);
    this.#changed.add(key);
    this.#schedule();
  }

  /** A job that is gone (cancelled, its dataset deleted). */
  remove(key) {
    if (!this.#jobs.delete(key)) return;
    this.#signatures.delete(key);
    this.#changed.delete(key);
    this.#removed.add(key);
    this.#schedule();
  }

  /** The whole list (a full read): upserts every job and removes the ones not in it. */
  replaceAll(jobs) {
    const keep = new Set();
    for (const job of jobs) {
      keep.add(jobKey(job));
      this.upsert(job);
    }
    for (const key of [...this.#jobs.keys()]) if (!keep.has(key)) this.remove(key);
    if (!this.#loaded) {
      this.#loaded = true;
      this.#schedule();
    }
  }

  /** `listener({ changed, removed })` once per frame with the keys touched since the last. */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #schedule() {
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(() => this.#flush());
  }

  #flush() {
    this.#frame = 0;
    const batch = { changed: this.#changed, removed: this.#removed };
    this.#changed = new Set();
    this.#removed = new Set();
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch (error) {
        console.error('dashboard: a view failed to update', error);
      }
    }
  }
}
