import type { JobKey } from '@evalq/core';

/**
 * The channel on which PostgreSQL announces every job that becomes runnable (launched
 * by anyone, or made runnable again), `<model_id>/<prompt_id>/<dataset_id>`, at commit:
 * migrations/0011_queueless_wakeups_and_call_limits.sql. Workers without Redis LISTEN.
 */
export const JOB_ANNOUNCEMENTS_CHANNEL = 'evalq_jobs';

/** The job an announcement names, or undefined for a payload that names none. */
export function parseJobAnnouncement(payload: string | undefined): JobKey | undefined {
  const match = /^(\d+)\/(\d+)\/(\d+)$/.exec(payload ?? '');
  if (!match) return undefined;
  return {
    model_id: Number(match[1]),
    prompt_id: Number(match[2]),
    dataset_id: Number(match[3]),
  };
}
