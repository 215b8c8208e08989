import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { JobStatus } from '../tables/jobs.js';
import { selectJobs, toJobRecord, type JobRecord } from './jobs.js';

export interface JobStatusTotals {
  status: JobStatus;
  jobs: number;
  /** Sum of the jobs' rows. */
  rows: number;
  /** Sum of rows processed (the `count` column). */
  done: number;
  failed: number;
}

/** Per job status: how many jobs and their summed counters. O(jobs), never O(rows). */
export async function jobStatusTotals(db: Kysely<Database>): Promise<JobStatusTotals[]> {
  const result = await sql<JobStatusTotals>`
    SELECT status,
           count(*)                          AS jobs,
           coalesce(sum(total), 0)           AS rows,
           coalesce(sum(coalesce(count, 0)), 0) AS done,
           coalesce(sum(failed), 0)          AS failed
      FROM modelpromptstatus
     GROUP BY status`.execute(db);
  return result.rows;
}

/** Rows claimed by workers right now, from the partial index of in-progress rows. */
export async function rowsInProgress(db: Kysely<Database>): Promise<number> {
  const result = await sql<{ n: number }>`
    SELECT count(*) AS n FROM predictionstatus WHERE status = 'in_progress'`.execute(db);
  return result.rows[0]?.n ?? 0;
}

/**
 * What a progress feed needs each tick: every unfinished job, and every job whose
 * counters changed in the last `windowSeconds` (so the step to `done`, or a retry,
 * is seen). One query, whatever the number of listeners.
 */
export async function jobsActiveSince(
  db: Kysely<Database>,
  windowSeconds: number,
): Promise<JobRecord[]> {
  const rows = await selectJobs(db)
    .where((eb) =>
      eb.or([
        eb('j.status', '<>', 'done'),
        eb('j.updated_at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`),
        eb('j.finished_at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`),
      ]),
    )
    .orderBy('j.dataset_id')
    .orderBy('j.model_id')
    .orderBy('j.prompt_id')
    .execute();
  return rows.map(toJobRecord);
}
