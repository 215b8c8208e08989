import type { JobHint, JobWakeups } from './job-wakeups.js';

/**
 * Hints from several sources at once: the BullMQ queue's events and PostgreSQL's
 * announcements. The announcement is sent at the launch's commit, before the API has
 * enqueued the job and answered, so the worker starts claiming sooner; the queue still
 * wakes workers whose LISTEN connection is down. A job heard twice is hinted twice,
 * which is harmless (discovery adds it once).
 */
export class BothWakeups implements JobWakeups {
  readonly #sources: readonly JobWakeups[];

  constructor(sources: readonly JobWakeups[]) {
    this.#sources = sources;
  }

  async start(hint: JobHint): Promise<void> {
    await Promise.all(this.#sources.map((source) => source.start(hint)));
  }

  async close(): Promise<void> {
    await Promise.all(this.#sources.map((source) => source.close()));
  }
}
