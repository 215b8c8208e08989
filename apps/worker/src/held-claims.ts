import type { Logger } from '@evalq/core';
import type { FinishedRow, FinishResult, HeldClaim } from '@evalq/db';
import type { WorkerMetrics } from './metrics.js';
import type { RowWork } from './row-call.js';

/** A claim's identity with its fencing token; without the token, the row's identity. */
export function claimKey(claim: {
  row_id: number;
  model_id: number;
  prompt_id: number;
  claim_attempt?: number;
}): string {
  return `${claim.row_id}:${claim.model_id}:${claim.prompt_id}:${claim.claim_attempt ?? ''}`;
}

/**
 * Every claim this worker holds, from the claim until its result is stored: the list
 * the heartbeat re-stamps (lease-keeper.ts) and the shutdown hands back. A claim leaves
 * when its batch of results is written (`settle`), or when its call failed by a bug
 * (`drop`: no longer heartbeated, the lease hands the row to another claim).
 */
export class HeldClaims {
  readonly #works = new Map<string, RowWork>();
  readonly #metrics: WorkerMetrics;
  readonly #log: Logger;

  constructor(metrics: WorkerMetrics, log: Logger) {
    this.#metrics = metrics;
    this.#log = log;
  }

  get size(): number {
    return this.#works.size;
  }

  add(works: readonly RowWork[]): void {
    for (const work of works) this.#works.set(claimKey(work.claim), work);
  }

  drop(claim: HeldClaim): void {
    this.#works.delete(claimKey(claim));
  }

  /** The claims held now, whatever becomes of them. */
  list(): HeldClaim[] {
    return [...this.#works.values()].map((work) => work.claim);
  }

  /**
   * A batch of results was written (`result`) or given up on (undefined: the claims
   * stay held, so the shutdown hands them back). Rows missing from `result.finished`
   * were lost: their claim had expired and moved on, or the job was cancelled.
   */
  settle(rows: readonly FinishedRow[], result: FinishResult | undefined): void {
    if (result === undefined) return;
    const finished = new Set(result.finished.map((f) => claimKey(f)));
    const lostByJob = new Map<Logger, number[]>();
    let lost = 0;
    for (const row of rows) {
      const key = claimKey(row);
      const work = this.#works.get(key);
      this.#works.delete(key);
      const { row_id, model_id, prompt_id } = row;
      if (finished.has(claimKey({ row_id, model_id, prompt_id }))) {
        this.#metrics.rowsFinished.inc({ status: row.status });
      } else {
        lost += 1;
        const jobLog = work?.log ?? this.#log;
        const ids = lostByJob.get(jobLog) ?? [];
        ids.push(row_id);
        lostByJob.set(jobLog, ids);
      }
    }
    for (const [jobLog, rowIds] of lostByJob) {
      jobLog.warn(
        { rows: rowIds.length, row_ids: rowIds.slice(0, 20) },
        "result discarded: the claim is no longer this worker's (it expired and the row was claimed again, or the job was cancelled)",
      );
    }
    if (lost > 0) this.#metrics.rowsLost.inc(lost);
  }
}
