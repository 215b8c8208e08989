import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { formatJobKey, type Logger } from '@evalq/core';
import {
  leaseRegradeBatch,
  listRegradingJobs,
  regradeBatch,
  storeVerdicts,
  type Database,
  type NewVerdict,
  type RegradingJob,
  type RegradeScan,
  type StalePrediction,
} from '@evalq/db';
import type { GradingSubject, JudgeCall } from '@evalq/grading';
import { dbBackoffMs } from './db-backoff.js';
import { errorSummary } from './error-summary.js';
import { compileJobGrading, type JobGrading } from './job-grading.js';
import type { WorkerMetrics } from './metrics.js';
import { gradeOutput, gradeWithoutJudge, type VerdictFields } from './row-grading.js';
import type { WakeSignal } from './wake-signal.js';

export interface RegradeLoopOptions {
  db: Kysely<Database>;
  /** Predictions per regrade statement (no judge). */
  batchSize: number;
  /** Predictions leased at once when judges are called: bounds the judge calls in flight. */
  judgeBatchSize: number;
  /** How long a leased batch is ours before another worker may take it. */
  leaseSeconds: number;
  /** How often to look for regrades when there is none. */
  idleMs: number;
  /** Notified when a job may have work (a regrade request reached the queue). */
  wake: WakeSignal;
  /** Judge calls (judge-call.ts), aborted with `signal` at shutdown. */
  judge: JudgeCall;
  signal: AbortSignal;
  metrics: WorkerMetrics;
  log: Logger;
}

/** Where this worker is in its pass through a job's predictions. */
interface Pass {
  grading: JobGrading;
  afterRowId: number;
}

const newVerdict = (row: StalePrediction, verdict: VerdictFields): NewVerdict => ({
  prediction_id: row.prediction_id,
  passed: verdict.passed,
  score: verdict.score,
  grading: verdict.grading ?? '[]',
  judge_cost_usd: verdict.judge_cost_usd ?? null,
  judge_tokens: verdict.judge_tokens ?? null,
});

const subject = (row: StalePrediction): GradingSubject => ({
  output: row.prediction,
  expected: row.expected_prediction,
  content: row.content,
  latency_s: row.prediction_time,
});

/**
 * The regrade loop: while some job has predictions graded under an older
 * `grading_version` (a regrade was asked for), gives them verdicts under the current
 * one, without calling the candidate model. Workers share a job (the batches lock or
 * lease their predictions); each walks the job in row order and starts a new pass when
 * it reaches the end, so predictions another worker let go (it died) are found again.
 * Assertions without judges are graded inside a short transaction per batch; with
 * judges, the batch is leased instead, since no transaction is held across a call.
 */
export class RegradeLoop {
  readonly #o: RegradeLoopOptions;
  readonly #stop = new AbortController();
  readonly #passes = new Map<string, Pass>();
  #done: Promise<void> | undefined;
  #dbFailures = 0;

  constructor(options: RegradeLoopOptions) {
    this.#o = options;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops; resolves when the batch in progress (if any) has ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#o.wake.notify();
    await this.#done;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      let worked = false;
      try {
        const jobs = await listRegradingJobs(this.#o.db);
        for (const job of jobs) {
          if (this.#stop.signal.aborted) break;
          if ((await this.#regradeSome(job)) > 0) worked = true;
        }
        this.#dbFailures = 0;
      } catch (error) {
        this.#dbFailures += 1;
        this.#o.metrics.dbErrors.inc({ operation: 'regrade' });
        this.#o.log.warn(
          { err: errorSummary(error), failures: this.#dbFailures },
          'regrade failed, retrying',
        );
        await this.#pause(dbBackoffMs(this.#dbFailures));
        continue;
      }
      if (!worked) await this.#o.wake.wait(this.#o.idleMs);
    }
  }

  async #pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stop.signal }).catch(() => undefined);
  }

  #pass(job: RegradingJob): Pass {
    const id = formatJobKey(job);
    let pass = this.#passes.get(id);
    if (!pass || pass.grading.version !== job.grading_version) {
      pass = { grading: compileJobGrading(job), afterRowId: 0 };
      this.#passes.set(id, pass);
      if (this.#passes.size > 1_000) this.#passes.delete(this.#passes.keys().next().value!);
    }
    return pass;
  }

  /** One batch of a job; returns how many predictions got a new verdict. */
  async #regradeSome(job: RegradingJob): Promise<number> {
    const pass = this.#pass(job);
    const scan: RegradeScan = {
      job,
      version: job.grading_version,
      afterRowId: pass.afterRowId,
      limit: this.#o.batchSize,
    };
    let read: number;
    let stored: number;
    let lastRowId: number;
    if (pass.grading.compiled?.needsJudge) {
      ({ read, stored, lastRowId } = await this.#regradeWithJudges(pass.grading, {
        ...scan,
        limit: this.#o.judgeBatchSize,
      }));
    } else {
      ({ read, stored, lastRowId } = await regradeBatch(this.#o.db, scan, (rows) =>
        rows.map((row) => newVerdict(row, gradeWithoutJudge(pass.grading, subject(row)))),
      ));
    }
    if (read === 0 && pass.afterRowId === 0) {
      // A whole pass found nothing: what is left (if anything) is held by other workers,
      // or stored without a dataset_id.
      ({ stored } = await regradeBatch(this.#o.db, { ...scan, withoutDataset: true }, (rows) =>
        rows.map((row) => newVerdict(row, gradeWithoutJudge(pass.grading, subject(row)))),
      ));
    }
    // The end of a pass: the next one starts from the first row again.
    pass.afterRowId = read === 0 ? 0 : lastRowId;
    this.#o.metrics.predictionsRegraded.inc(stored);
    return stored;
  }

  async #regradeWithJudges(
    grading: JobGrading,
    scan: RegradeScan,
  ): Promise<{ read: number; stored: number; lastRowId: number }> {
    const rows = await leaseRegradeBatch(this.#o.db, scan, this.#o.leaseSeconds);
    const verdicts = await Promise.all(
      rows.map(async (row) =>
        newVerdict(row, await gradeOutput(grading, subject(row), this.#o.judge)),
      ),
    );
    // Stopped while judges were called: their "failures" are the shutdown's, not the
    // judges'. Nothing is stored; the lease runs out and another worker grades them.
    if (this.#o.signal.aborted) return { read: rows.length, stored: 0, lastRowId: scan.afterRowId };
    const stored = await storeVerdicts(this.#o.db, scan.version, verdicts);
    return { read: rows.length, stored, lastRowId: rows.at(-1)?.row_id ?? scan.afterRowId };
  }
}
