import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/**
 * The per-model call limits kept in PostgreSQL for workers without Redis: the functions
 * of migrations/0011_queueless_wakeups_and_call_limits.sql (rate marks: 0021), one
 * autocommit statement each.
 */

export interface CallPermitRequest {
  modelId: number;
  wanted: number;
  /** 0: no concurrency limit. */
  maxInFlight: number;
  /** ms between call starts; 0: no rate limit. */
  intervalMs: number;
  /** How far ahead of schedule starts may run. */
  burstMs: number;
  /** How long a permit lives when its worker dies holding it. */
  permitTtlMs: number;
}

export interface CallPermitReply {
  granted: number;
  /** When nothing was granted: when to ask again (-1: when a permit is released). */
  waitMs: number;
  reason: 'paused' | 'rate' | 'concurrency' | null;
  /** One per granted call when there is a concurrency limit. */
  permitIds: string[];
  /** With a rate limit, where the grant left the model's schedule (for refundCallSlots). */
  rateMark: string | null;
}

export async function acquireCallPermits(
  db: Kysely<Database>,
  request: CallPermitRequest,
): Promise<CallPermitReply> {
  const result = await sql<{
    granted: number;
    wait_ms: number;
    reason: CallPermitReply['reason'];
    permit_ids: string[] | null;
    rate_mark: string | null;
  }>`
    SELECT granted, wait_ms, reason, permit_ids::text[] AS permit_ids, rate_mark
      FROM acquire_call_permits(${request.modelId}::int, ${request.wanted}::int,
             ${request.maxInFlight}::int, ${request.intervalMs}::float8,
             ${request.burstMs}::float8, ${request.permitTtlMs}::int)`.execute(db);
  const row = result.rows[0]!;
  return {
    granted: row.granted,
    waitMs: row.wait_ms,
    reason: row.reason,
    permitIds: row.permit_ids ?? [],
    rateMark: row.rate_mark,
  };
}

/** Ends calls' concurrency permits. */
export async function releaseCallPermits(
  db: Kysely<Database>,
  permitIds: readonly string[],
): Promise<void> {
  await sql`DELETE FROM model_call_permits WHERE permit_id = ANY(${permitIds}::bigint[])`.execute(
    db,
  );
}

/** Gives back `unused` rate slots of a model, if no start was granted after them. */
export async function refundCallSlots(
  db: Kysely<Database>,
  modelId: number,
  unused: number,
  intervalMs: number,
  rateMark: string,
): Promise<void> {
  await sql`SELECT refund_call_slots(${modelId}::int, ${unused}::int, ${intervalMs}::float8,
                                     ${rateMark}::text)`.execute(db);
}

/** Pauses a model for every worker; a shorter pause never cuts a longer one short. */
export async function pauseModelCalls(
  db: Kysely<Database>,
  modelId: number,
  pauseMs: number,
): Promise<void> {
  await sql`SELECT pause_model_calls(${modelId}::int, ${Math.max(1, Math.round(pauseMs))}::int)`.execute(
    db,
  );
}
