import { formatJobKey, type JobKey } from '@evalq/core';
import type { JobStatus, RunnableJob } from '@evalq/db';

export interface JobEntry {
  readonly key: JobKey;
  /** `3/7/2`, the job's id in logs and maps. */
  readonly id: string;
  /** Last known status; `pending` jobs are set running at their first claim. */
  status: JobStatus | 'unknown';
  /** A claim came back short: no pending rows left for now. Cleared by a reconcile or a hint. */
  exhausted: boolean;
  /** When this worker learnt of the job (a reconcile never drops a job learnt while it ran). */
  seenAt: number;
}

/**
 * The jobs this worker may claim from, served round robin: each claim takes one batch
 * from the next job, so many small jobs progress side by side with a big one. Jobs
 * whose last claim came back short are skipped until the next reconcile (or a queue
 * message about them); models waiting for their shared limits are skipped until then.
 */
export class JobRotation {
  #entries: JobEntry[] = [];
  readonly #byId = new Map<string, JobEntry>();
  #cursor = 0;
  readonly #modelBlockedUntil = new Map<number, number>();

  entries(): readonly JobEntry[] {
    return this.#entries;
  }

  get(key: JobKey): JobEntry | undefined {
    return this.#byId.get(formatJobKey(key));
  }

  /** Adds a job (or revives a known one: it is no longer exhausted). Returns it, and whether it is new. */
  add(key: JobKey, status: JobStatus | 'unknown' = 'unknown'): { entry: JobEntry; added: boolean } {
    const id = formatJobKey(key);
    const known = this.#byId.get(id);
    if (known) {
      known.exhausted = false;
      if (status !== 'unknown') known.status = status;
      return { entry: known, added: false };
    }
    const entry: JobEntry = {
      key: { model_id: key.model_id, prompt_id: key.prompt_id, dataset_id: key.dataset_id },
      id,
      status,
      exhausted: false,
      seenAt: Date.now(),
    };
    this.#entries.push(entry);
    this.#byId.set(id, entry);
    return { entry, added: true };
  }

  remove(entry: JobEntry): void {
    if (this.#byId.get(entry.id) !== entry) return;
    this.#byId.delete(entry.id);
    const index = this.#entries.indexOf(entry);
    this.#entries.splice(index, 1);
    if (index < this.#cursor) this.#cursor -= 1;
  }

  /** What this worker last learnt of the job's status (it marks a job running at its first claim). */
  setStatus(entry: JobEntry, status: JobStatus | 'unknown'): void {
    entry.status = status;
  }

  markExhausted(entry: JobEntry): void {
    entry.exhausted = true;
  }

  /**
   * Makes the rotation match PostgreSQL's runnable jobs: new ones join, every job is
   * given another chance (not exhausted), and jobs that are gone (done, cancelled) leave,
   * unless this worker learnt of them after the reconcile's query started.
   */
  reconcile(
    jobs: readonly RunnableJob[],
    queryStartedAt: number,
  ): { added: JobEntry[]; removed: JobEntry[] } {
    const listed = new Set<string>();
    const added: JobEntry[] = [];
    for (const job of jobs) {
      const result = this.add(job, job.status);
      listed.add(result.entry.id);
      if (result.added) added.push(result.entry);
    }
    const removed = this.#entries.filter((e) => !listed.has(e.id) && e.seenAt < queryStartedAt);
    for (const entry of removed) this.remove(entry);
    return { added, removed };
  }

  /** Skips every job of a model until `until` (epoch ms): it waits for its limits. */
  blockModel(modelId: number, until: number): void {
    this.#modelBlockedUntil.set(modelId, until);
  }

  isModelBlocked(modelId: number, now: number): boolean {
    const until = this.#modelBlockedUntil.get(modelId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#modelBlockedUntil.delete(modelId);
    return false;
  }

  /** The earliest time a blocked model of a runnable job can be tried again, if any. */
  nextUnblockAt(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.#entries) {
      if (entry.exhausted) continue;
      const until = this.#modelBlockedUntil.get(entry.key.model_id);
      if (until !== undefined && (earliest === undefined || until < earliest)) earliest = until;
    }
    return earliest;
  }

  /** Makes `entry` the next job served again (its turn came but it could not be served yet). */
  rewind(entry: JobEntry): void {
    const index = this.#entries.indexOf(entry);
    if (index >= 0) this.#cursor = index;
  }

  /**
   * The next job after the last one served that is not exhausted and whose model is not
   * blocked; undefined when none qualifies.
   */
  next(now: number): JobEntry | undefined {
    const count = this.#entries.length;
    for (let i = 0; i < count; i += 1) {
      const index = (this.#cursor + i) % count;
      const entry = this.#entries[index]!;
      if (entry.exhausted || this.isModelBlocked(entry.key.model_id, now)) continue;
      this.#cursor = (index + 1) % count;
      return entry;
    }
    return undefined;
  }
}
