import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './bench-context.js';
import {
  committedTransactions,
  firstClaimAt,
  insertRows,
  jobState,
  predictionCounts,
  predictionSpan,
} from './bench-queries.js';
import type { ChildService } from './child-service.js';
import { commandCpuSeconds, machineBusySeconds, processCpuSeconds } from './cpu-time.js';
import type { JobKey } from '@evalq/core';

export interface JobRunOptions {
  label: string;
  rows: number;
  workers: number;
  concurrency: number;
  latencyMs: number;
  /** Workers with Redis (the default), or queue-less (REDIS_URL=none: PostgreSQL only). */
  queue?: 'redis' | 'postgres';
  /** Environment of the workers on top of the run's (e.g. DATABASE_URL through a pooler). */
  workerEnv?: Record<string, string>;
  /** Other processes whose CPU per prediction is reported (e.g. a pooler), by name. */
  otherPids?: Record<string, number>;
  /** The job's assertions; default: equals. */
  assertions?: object[];
  /** More of the launch's body: a budget, the response cache (docs/cost.md). */
  launch?: { budget?: object; cache?: boolean };
  /** More of the model's config (prices, say). */
  modelConfig?: Record<string, unknown>;
}

export interface JobRunResult {
  /**
   * Predictions per second, from the launch's answer (the job seeded and enqueued) to
   * the job read `done` (read every 10 ms). Seeding is T4's subject; its time is `launchS`.
   */
  rate: number;
  seconds: number;
  /** The same rate up to the moment the last prediction was counted (the job's finished_at). */
  rateToFinishedAt: number;
  /**
   * The fake server's average number of requests in flight over the run (its requests'
   * time in flight ÷ the run's time), and that ÷ the allowed concurrency (workers × concurrency).
   */
  averageInFlight: number;
  inFlightShare: number;
  /** How long POST /v1/jobs took (seeding the job's rows, enqueueing it), s. */
  launchS: number;
  /** Fraction of the machine's CPU time that was busy during the run (1 = every core, all the time). */
  machineBusy: number;
  /** PostgreSQL transactions committed per prediction (the benchmark's own polling included). */
  transactionsPerRow: number;
  /** Peak RSS of each worker, MB. */
  workerPeakMb: number[];
  /** From the launch request to the first stored prediction, and from the last to `done` seen, s. */
  startupS: number;
  tailS: number;
  /** From the launch's answer to the job's first claim, and to its first stored prediction, ms. */
  firstClaimMs: number;
  firstPredictionMs: number;
  /** From the launch's answer to the fake server's first request, and to its first answer, ms. */
  firstCallMs: number;
  firstAnswerMs: number;
  /** CPU per prediction, µs: the workers, the fake server, PostgreSQL, `otherPids`, and the rest of the machine (Redis, the API, the kernel). */
  cpuPerRowUs: { workers: number; fakeServer: number; postgres: number; rest: number } & Record<
    string,
    number
  >;
}

/** A dataset of `rows` synthetic rows, a model on `baseUrl`, a prompt: a job ready to launch. */
export async function prepareJob(
  ctx: BenchContext,
  label: string,
  rows: number,
  baseUrl: string,
  modelConfig: Record<string, unknown> = {},
): Promise<{ datasetId: number; modelId: number; promptId: number }> {
  const datasetId = await ctx.api.createDataset(`bench ${label}`);
  await insertRows(ctx.stack.pool, datasetId, rows);
  const modelId = await ctx.api.createModel(`bench-${label}`, baseUrl, modelConfig);
  const promptId = await ctx.api.createPrompt(`Reply with the answer only: {{content}}`);
  return { datasetId, modelId, promptId };
}

/**
 * Polls the job's row every `everyMs` until it reads done; resolves with when it did
 * (ms since the epoch). Throws after `timeoutMs`.
 */
export async function waitUntilDone(
  ctx: BenchContext,
  key: JobKey,
  timeoutMs: number,
  everyMs = 50,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = await jobState(ctx.stack.pool, key);
    if (state.status === 'done') return Date.now();
    if (performance.now() > deadline) {
      throw new Error(
        `job ${JSON.stringify(key)} not done after ${timeoutMs} ms: ${JSON.stringify(state)}`,
      );
    }
    await sleep(everyMs);
  }
}

/**
 * One timed evalq run: a fresh fake server at `latencyMs`, `workers` worker processes
 * started and ready, then the job launched through the API and timed until done. Checks
 * that every row has exactly one prediction, none failed.
 */
export async function runJob(ctx: BenchContext, options: JobRunOptions): Promise<JobRunResult> {
  const server = await ctx.stack.startFakeServer(options.latencyMs);
  const workers: ChildService[] = [];
  try {
    const job = await prepareJob(ctx, options.label, options.rows, server.url, options.modelConfig);
    for (let i = 0; i < options.workers; i += 1) {
      workers.push(
        await ctx.stack.startWorker(options.concurrency, `worker ${i + 1}`, {
          ...(options.queue === 'postgres' ? { REDIS_URL: 'none' } : {}),
          ...options.workerEnv,
        }),
      );
    }
    const cpu = () => {
      const workerCpu = workers.reduce((sum, worker) => sum + worker.cpuSeconds(), 0);
      const fakeCpu = server.process.cpuSeconds();
      const own = process.cpuUsage();
      const bench = (own.user + own.system) / 1e6;
      const postgres = commandCpuSeconds('postgres');
      const others = Object.fromEntries(
        Object.entries(options.otherPids ?? {}).map(([name, pid]) => [
          name,
          processCpuSeconds(pid),
        ]),
      );
      const othersTotal = Object.values(others).reduce((sum, seconds) => sum + seconds, 0);
      const busy = machineBusySeconds();
      return {
        workerCpu,
        fakeCpu,
        postgres,
        others,
        busy,
        rest: busy - workerCpu - fakeCpu - bench - postgres - othersTotal,
      };
    };
    const cpuBefore = cpu();
    const xactBefore = await committedTransactions(ctx.stack.pool);
    const startedAt = Date.now();
    const started = performance.now();
    const [key] = await ctx.api.launch(
      job.datasetId,
      [job.modelId],
      [job.promptId],
      options.assertions,
      options.launch,
    );
    const launched = performance.now();
    const launchedAt = Date.now();
    const doneAt = await waitUntilDone(ctx, key!, 600_000, 10);
    const cpuAfter = cpu();
    const state = await jobState(ctx.stack.pool, key!);
    const seconds = (doneAt - launchedAt) / 1000;
    const served = await server.stats();
    const launchS = (launched - started) / 1000;
    const xacts = (await committedTransactions(ctx.stack.pool)) - xactBefore;
    const span = await predictionSpan(ctx.stack.pool, key!);
    const firstClaim = await firstClaimAt(ctx.stack.pool, key!);
    const perRow = (after: number, before: number) =>
      Math.round(((after - before) / options.rows) * 1e6);

    const stored = await predictionCounts(ctx.stack.pool, key!);
    if (state.failed > 0 || stored.predictions !== options.rows || stored.duplicated > 0) {
      throw new Error(
        `${options.label}: ${options.rows} rows gave ${stored.predictions} predictions, ` +
          `${stored.duplicated} duplicated, ${state.failed} failed`,
      );
    }
    const workerPeakMb = workers.map((worker) => worker.peakRssMb());
    ctx.peakRssMb.workers = Math.max(ctx.peakRssMb.workers, ...workerPeakMb);
    const averageInFlight = served.inFlightMs / (doneAt - launchedAt);
    return {
      rate: options.rows / seconds,
      seconds,
      rateToFinishedAt: options.rows / ((state.finishedAt! - launchedAt) / 1000),
      averageInFlight,
      inFlightShare: averageInFlight / (options.workers * options.concurrency),
      launchS,
      transactionsPerRow: xacts / options.rows,
      machineBusy:
        (cpuAfter.busy - cpuBefore.busy) /
        (((performance.now() - launched) / 1000) * cpus().length),
      workerPeakMb,
      startupS: (span.first - startedAt) / 1000,
      tailS: (state.finishedAt! - span.last) / 1000,
      firstClaimMs: firstClaim - launchedAt,
      firstPredictionMs: span.first - launchedAt,
      firstCallMs: (served.firstRequestAt ?? Number.NaN) - launchedAt,
      firstAnswerMs: (served.firstAnswerAt ?? Number.NaN) - launchedAt,
      cpuPerRowUs: {
        workers: perRow(cpuAfter.workerCpu, cpuBefore.workerCpu),
        fakeServer: perRow(cpuAfter.fakeCpu, cpuBefore.fakeCpu),
        postgres: perRow(cpuAfter.postgres, cpuBefore.postgres),
        ...Object.fromEntries(
          Object.keys(cpuAfter.others).map((name) => [
            name,
            perRow(cpuAfter.others[name]!, cpuBefore.others[name]!),
          ]),
        ),
        rest: perRow(cpuAfter.rest, cpuBefore.rest),
      },
    };
  } finally {
    await ctx.stack.stop([...workers, server.process]);
  }
}
