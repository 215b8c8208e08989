import { sql, type Kysely } from 'kysely';
import type { JobKey } from '@evalq/core';
import type { Database } from '../database.js';
import type { ClaimedRow, HeldClaim } from './claims.js';

/**
 * Provider batches (migrations/0013_provider_batches.sql, docs/batch.md): the state of
 * each batch and which rows it holds. A batch's rows are claimed in predictionstatus
 * under the owner `provider-batch/<batch_key>`, so the claim protocol's fencing
 * (claims.ts: finishRows, releaseClaims) stores and releases them like a worker's.
 */

export type BatchState =
  | 'assigned'
  | 'uploading'
  | 'uploaded'
  | 'creating'
  | 'submitted'
  | 'ingesting'
  | 'returning'
  | 'done'
  | 'cancelled';

export interface ProviderBatchRecord extends JobKey {
  batch_key: number;
  uid: string;
  state: BatchState;
  cancel_requested: boolean;
  request_count: number;
  input_file_id: string | null;
  provider_batch_id: string | null;
  output_file_id: string | null;
  error_file_id: string | null;
  provider_status: string | null;
  created_at: Date;
}

/** The claimed_by of a batch's rows; a WORKER_ID cannot contain '/'. */
export function batchOwner(batchKey: number): string {
  return `provider-batch/${batchKey}`;
}

/**
 * Jobs of batch-dispatch models with pending rows: work for a new batch. Paused jobs are
 * left out (the claim gate would give them no rows); their open batches still move on.
 */
export async function jobsAwaitingBatches(db: Kysely<Database>): Promise<JobKey[]> {
  const result = await sql<JobKey>`
    SELECT j.model_id, j.prompt_id, j.dataset_id
      FROM modelpromptstatus j
      JOIN models m ON m.model_id = j.model_id
     WHERE j.status NOT IN ('done', 'paused') AND m.config->>'dispatch' = 'batch'
       AND EXISTS (SELECT 1 FROM predictionstatus ps
                    WHERE ps.model_id = j.model_id AND ps.prompt_id = j.prompt_id
                      AND ps.dataset_id = j.dataset_id AND ps.status = 'pending')
     ORDER BY j.created_at`.execute(db);
  return result.rows;
}

/**
 * Takes up to `size.wanted` pending rows of a job into a new batch, in one statement:
 * the rows are claimed under the batch's owner and the batch recorded together, or
 * neither (a crash in between loses nothing). How many it may take is batch_allowance's
 * to say (migrations/0015_batch_allowance.sql): none while the job is paused, a probe of
 * `size.probe` rows alone while a budget's cost per request is unknown, then what the
 * claim gate allows, where the rows of open batches count as in flight. The batch
 * starts leased to `lease.workerId`. Returns undefined when no row was taken.
 */
export async function assignBatch(
  db: Kysely<Database>,
  job: JobKey,
  size: { wanted: number; probe: number },
  lease: { workerId: string; seconds: number },
): Promise<ProviderBatchRecord | undefined> {
  const result = await sql<ProviderBatchRecord>`
    WITH k AS (
      SELECT nextval(pg_get_serial_sequence('provider_batches', 'batch_key')) AS batch_key
    ), c AS (
      SELECT row_id FROM predictionstatus
       WHERE model_id = ${job.model_id} AND prompt_id = ${job.prompt_id}
         AND dataset_id = ${job.dataset_id} AND status = 'pending'
       ORDER BY row_id
       LIMIT batch_allowance(${job.model_id}, ${job.prompt_id}, ${job.dataset_id},
                             ${size.wanted}, ${size.probe})
       FOR UPDATE SKIP LOCKED
    ), taken AS (
      UPDATE predictionstatus ps
         SET status = 'in_progress', claimed_by = 'provider-batch/' || k.batch_key,
             attempt = ps.attempt + 1
        FROM c, k
       WHERE ps.row_id = c.row_id AND ps.model_id = ${job.model_id} AND ps.prompt_id = ${job.prompt_id}
      RETURNING 1
    )
    INSERT INTO provider_batches (batch_key, model_id, prompt_id, dataset_id, request_count,
                                  lease_owner, lease_until)
    SELECT k.batch_key, ${job.model_id}, ${job.prompt_id}, ${job.dataset_id}, n.count,
           ${lease.workerId}, now() + make_interval(secs => ${lease.seconds})
      FROM k, (SELECT count(*)::int AS count FROM taken) n
     WHERE n.count > 0
    RETURNING *`.execute(db);
  return result.rows[0];
}

/**
 * Leases the batch whose next step is most overdue to `workerId` for `leaseSeconds`,
 * or returns undefined. A batch leased to a worker that died is taken over when its
 * lease passes.
 */
export async function leaseDueBatch(
  db: Kysely<Database>,
  workerId: string,
  leaseSeconds: number,
): Promise<ProviderBatchRecord | undefined> {
  const result = await sql<ProviderBatchRecord>`
    WITH due AS (
      SELECT batch_key FROM provider_batches
       WHERE state NOT IN ('done', 'cancelled') AND next_check_at <= now()
         AND (lease_until IS NULL OR lease_until < now())
       ORDER BY next_check_at
       LIMIT 1
       FOR UPDATE SKIP LOCKED
    )
    UPDATE provider_batches pb
       SET lease_owner = ${workerId}, lease_until = now() + make_interval(secs => ${leaseSeconds})
      FROM due
     WHERE pb.batch_key = due.batch_key
    RETURNING pb.*`.execute(db);
  return result.rows[0];
}

/** Extends this worker's lease on a batch while its step runs; false when it was lost. */
export async function renewBatchLease(
  db: Kysely<Database>,
  batchKey: number,
  workerId: string,
  leaseSeconds: number,
): Promise<boolean> {
  const result = await sql`
    UPDATE provider_batches
       SET lease_until = now() + make_interval(secs => ${leaseSeconds})
     WHERE batch_key = ${batchKey} AND lease_owner = ${workerId}`.execute(db);
  return Number(result.numAffectedRows ?? 0n) === 1;
}

/** What a step records about a batch (only the fields it names change). */
export interface BatchChanges {
  state?: BatchState;
  request_count?: number;
  input_bytes?: number;
  input_file_id?: string;
  provider_batch_id?: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
  provider_status?: string;
  provider_total?: number;
  provider_completed?: number;
  provider_failed?: number;
  ingested?: number;
  returned?: number;
  error?: string | null;
  /** Seconds until the next step is due; the lease is given up with it. */
  next_check_in_s?: number;
}

const CHANGEABLE = [
  'state',
  'request_count',
  'input_bytes',
  'input_file_id',
  'provider_batch_id',
  'output_file_id',
  'error_file_id',
  'provider_status',
  'provider_total',
  'provider_completed',
  'provider_failed',
  'ingested',
  'returned',
  'error',
] as const;

/**
 * Records a step's outcome, only while `workerId` still holds the batch's lease (a
 * worker that lost it writes nothing). Returns false when the lease was lost.
 */
export async function recordBatch(
  db: Kysely<Database>,
  batchKey: number,
  workerId: string,
  changes: BatchChanges,
): Promise<boolean> {
  const sets = CHANGEABLE.filter((key) => changes[key] !== undefined).map(
    (key) => sql`${sql.ref(key)} = ${changes[key]}`,
  );
  if (changes.state === 'done' || changes.state === 'cancelled') {
    sets.push(sql`finished_at = now()`);
  }
  if (changes.next_check_in_s !== undefined) {
    sets.push(
      sql`next_check_at = now() + make_interval(secs => ${changes.next_check_in_s})`,
      sql`lease_owner = NULL`,
      sql`lease_until = NULL`,
    );
  }
  sets.push(sql`updated_at = now()`);
  const result = await sql`
    UPDATE provider_batches SET ${sql.join(sets)}
     WHERE batch_key = ${batchKey} AND lease_owner = ${workerId}`.execute(db);
  return Number(result.numAffectedRows ?? 0n) === 1;
}

/** The rows a batch still holds (not yet stored), in row order, with what renders them. */
export async function batchRows(
  db: Kysely<Database>,
  batch: ProviderBatchRecord,
): Promise<ClaimedRow[]> {
  const result = await sql<ClaimedRow>`
    SELECT ps.row_id, ps.attempt AS claim_attempt, r.content, r.expected_prediction, r.input
      FROM predictionstatus ps
      JOIN rows r ON r.row_id = ps.row_id
     WHERE ps.model_id = ${batch.model_id} AND ps.prompt_id = ${batch.prompt_id}
       AND ps.dataset_id = ${batch.dataset_id} AND ps.status = 'in_progress'
       AND ps.claimed_by = ${batchOwner(batch.batch_key)}
     ORDER BY ps.row_id`.execute(db);
  return result.rows;
}

/**
 * Moves the rows a batch still holds to `workerId` as ordinary claims (a new fencing
 * token each), for online calls: error lines, lines missing from the output, and the
 * rows of a batch that failed or expired.
 */
export async function moveBatchRowsToWorker(
  db: Kysely<Database>,
  batch: ProviderBatchRecord,
  workerId: string,
): Promise<ClaimedRow[]> {
  const result = await sql<ClaimedRow>`
    UPDATE predictionstatus ps
       SET claimed_by = ${workerId}, attempt = ps.attempt + 1
      FROM rows r
     WHERE r.row_id = ps.row_id
       AND ps.model_id = ${batch.model_id} AND ps.prompt_id = ${batch.prompt_id}
       AND ps.dataset_id = ${batch.dataset_id} AND ps.status = 'in_progress'
       AND ps.claimed_by = ${batchOwner(batch.batch_key)}
    RETURNING ps.row_id, ps.attempt AS claim_attempt, r.content, r.expected_prediction, r.input`.execute(
    db,
  );
  return result.rows;
}

/** The claims of a batch's rows, as the fencing check sees them. */
export function batchClaims(
  batch: ProviderBatchRecord,
  rows: readonly { row_id: number; claim_attempt: number }[],
): HeldClaim[] {
  return rows.map((row) => ({
    row_id: row.row_id,
    model_id: batch.model_id,
    prompt_id: batch.prompt_id,
    claim_attempt: row.claim_attempt,
  }));
}

/** A job's batch phase, for its progress (docs/batch.md). */
export interface JobBatchPhase {
  /** uploading, waiting (on the provider), ingesting, or done when none is open. */
  phase: 'uploading' | 'waiting' | 'ingesting' | 'done';
  /** Batches not yet finished, and all of the job's batches. */
  open_batches: number;
  batches: number;
  /** The provider's counts over the open batches, as last polled. */
  provider_total: number;
  provider_completed: number;
  provider_failed: number;
}

/** A job's batches counted by phase, as selectJobs reads them (jobs.ts). */
export interface JobBatchCounts {
  batches: number;
  uploading: number;
  waiting: number;
  ingesting: number;
  provider_total: number;
  provider_completed: number;
  provider_failed: number;
}

/**
 * The job's batches counted by phase, one small aggregate over its batches (a handful:
 * one per 50,000 rows); NULL for a job without batches. `j` is the job's row.
 */
export const jobBatchCountsSql = sql<JobBatchCounts | null>`(
  SELECT json_build_object(
           'batches', count(*),
           'uploading', count(*) FILTER (WHERE b.state IN ('assigned', 'uploading', 'uploaded', 'creating')),
           'waiting', count(*) FILTER (WHERE b.state = 'submitted'),
           'ingesting', count(*) FILTER (WHERE b.state IN ('ingesting', 'returning')),
           'provider_total', coalesce(sum(b.provider_total) FILTER (WHERE b.state = 'submitted'), 0),
           'provider_completed', coalesce(sum(b.provider_completed) FILTER (WHERE b.state = 'submitted'), 0),
           'provider_failed', coalesce(sum(b.provider_failed) FILTER (WHERE b.state = 'submitted'), 0))
    FROM provider_batches b
   WHERE b.model_id = j.model_id AND b.prompt_id = j.prompt_id AND b.dataset_id = j.dataset_id
     AND b.state <> 'cancelled'
  HAVING count(*) > 0)`;

/**
 * What a batch job is doing: ingesting when a batch's output is being stored, else
 * uploading while a batch is being prepared or sent, else waiting on the provider, else
 * done (every batch finished; rows handed back may still be called online).
 */
export function jobBatchPhase(counts: JobBatchCounts | null): JobBatchPhase | null {
  if (!counts) return null;
  const open = counts.uploading + counts.waiting + counts.ingesting;
  return {
    phase:
      counts.ingesting > 0
        ? 'ingesting'
        : counts.uploading > 0
          ? 'uploading'
          : counts.waiting > 0
            ? 'waiting'
            : 'done',
    open_batches: open,
    batches: counts.batches,
    provider_total: counts.provider_total,
    provider_completed: counts.provider_completed,
    provider_failed: counts.provider_failed,
  };
}
