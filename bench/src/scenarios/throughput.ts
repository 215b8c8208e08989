import { cpus } from 'node:os';
import { round, type BenchContext } from '../bench-context.js';
import { runJob, type JobRunResult } from '../job-run.js';
import { around } from '../reference-loops.js';

/** What a run's first calls and the fake server's concurrency looked like, for the JSON line. */
function startAndConcurrency(run: JobRunResult): Record<string, number> {
  return {
    first_claim_ms: round(run.firstClaimMs, 0),
    first_call_ms: round(run.firstCallMs, 0),
    first_answer_ms: round(run.firstAnswerMs, 0),
    first_prediction_stored_ms: round(run.firstPredictionMs, 0),
    average_in_flight: round(run.averageInFlight, 1),
    in_flight_share: round(run.inFlightShare, 3),
  };
}

/**
 * T1: 0 ms latency, 2 workers × 32 with the default assertion (equals), against the
 * keep-alive HTTP loop and the bare `openai` SDK loop at concurrency 64, each measured
 * before and after evalq and averaged.
 */
export async function t1ZeroLatency(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t1Rows;
  const {
    result: evalq,
    rates,
    clientCpuUs,
  } = await around(ctx, 'T1', ['raw', 'sdk'], 0, 64, rows, () => {
    ctx.say(`T1: evalq, 2 workers × 32, ${rows} rows, 0 ms latency`);
    return runJob(ctx, { label: 't1', rows, workers: 2, concurrency: 32, latencyMs: 0 });
  });
  const ratio = evalq.rate / rates.raw;
  const sdkRatio = evalq.rate / rates.sdk;

  ctx.say('T1: evalq, 1 worker × 32 (for the record)');
  const single = await runJob(ctx, {
    label: 't1-one',
    rows,
    workers: 1,
    concurrency: 32,
    latencyMs: 0,
  });

  const workerUs = evalq.cpuPerRowUs.workers;
  ctx.figures.T1 = round(ratio, 3);
  ctx.figures.T1_sdk_ratio = round(sdkRatio, 3);
  ctx.figures.T1_evalq_per_s = round(evalq.rate, 0);
  ctx.figures.T1_raw_loop_per_s = round(rates.raw, 0);
  ctx.figures.T1_sdk_loop_per_s = round(rates.sdk, 0);
  ctx.figures.T1_one_worker_per_s = round(single.rate, 0);
  ctx.figures.T1_cpu_us_per_row = {
    ...evalq.cpuPerRowUs,
    machine_busy: round(evalq.machineBusy, 2),
  };
  ctx.figures.T1_one_worker_cpu_us_per_row = single.cpuPerRowUs.workers;
  ctx.figures.T1_start = startAndConcurrency(evalq);
  ctx.lines.push({
    id: 'T1',
    scenario: `0 ms, 2 workers × 32, ${rows} rows ÷ keep-alive HTTP loop (c=64); ÷ openai SDK loop`,
    measured: `${round(ratio, 2)} (${round(evalq.rate, 0)}/s ÷ ${round(rates.raw, 0)}/s); SDK ${round(sdkRatio, 2)} (${round(rates.sdk, 0)}/s); 1 worker ${round(single.rate, 0)}/s`,
    target: '≥ 0.4; ≥ 0.5',
    met: ratio >= 0.4 && sdkRatio >= 0.5,
  });
  const bound = machineBound(evalq.cpuPerRowUs, rates.raw);
  ctx.figures.T1_bound = {
    other_cpu_us_per_row: bound.otherUs,
    sdk_loop_client_cpu_us: round(clientCpuUs.sdk, 0),
    raw_loop_client_cpu_us: round(clientCpuUs.raw, 0),
    with_sdk_client: round(bound.ratioWith(clientCpuUs.sdk), 3),
    with_raw_client: round(bound.ratioWith(clientCpuUs.raw), 3),
    with_free_worker: round(bound.ratioWith(0), 3),
    worker_us_for_0_4: round(bound.workerUsFor(0.4), 0),
  };
  ctx.lines.push({
    id: 'T1b',
    scenario: `0 ms, T1: what ${bound.cores} cores allow ÷ keep-alive HTTP loop, the rest of evalq's CPU as measured, a worker costing per prediction what a bare client costs per request`,
    measured: `openai SDK loop's client (${round(clientCpuUs.sdk, 0)} µs) ${round(bound.ratioWith(clientCpuUs.sdk), 2)}; raw loop's client (${round(clientCpuUs.raw, 0)} µs) ${round(bound.ratioWith(clientCpuUs.raw), 2)}; nothing ${round(bound.ratioWith(0), 2)} (PostgreSQL, fake server, rest ${bound.otherUs} µs; 0.4 needs a worker ≤ ${round(bound.workerUsFor(0.4), 0)} µs)`,
    target: '(a bound)',
    met: undefined,
  });
  ctx.lines.push({
    id: 'T1c',
    scenario: '0 ms, T1: worker CPU per prediction, grading on (equals)',
    measured: `${workerUs} µs (1 worker: ${single.cpuPerRowUs.workers} µs; PostgreSQL ${evalq.cpuPerRowUs.postgres} µs)`,
    target: '≤ 400 µs',
    met: workerUs <= 400,
  });
}

/**
 * What the machine allows at 0 ms, where every core is busy: a rate is the cores'
 * CPU-seconds over the CPU a prediction costs the whole machine. Given what the rest of
 * evalq spent per prediction (PostgreSQL, the fake server, the API, the rest), the rate
 * a worker of a given cost per prediction could reach, as a ratio to the raw loop, and
 * the worker cost a ratio needs.
 */
function machineBound(cpuPerRowUs: JobRunResult['cpuPerRowUs'], rawRate: number) {
  const cores = cpus().length;
  const otherUs = Object.entries(cpuPerRowUs)
    .filter(([name]) => name !== 'workers')
    .reduce((sum, [, us]) => sum + us, 0);
  return {
    cores,
    otherUs,
    ratioWith: (workerUs: number) => (cores * 1e6) / (workerUs + otherUs) / rawRate,
    workerUsFor: (ratio: number) => (cores * 1e6) / (ratio * rawRate) - otherUs,
  };
}

/**
 * T2: 100 ms latency, 2 workers × 25 against the keep-alive HTTP loop at concurrency 50
 * (before and after, averaged); also achieved ÷ the ideal 50 ÷ 0.1 s = 500/s, the fake
 * server's average in flight ÷ 50, and the time from the launch's answer to the first
 * prediction.
 */
export async function t2LatencyEfficiency(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t2Rows;
  const latencyMs = 100;
  const { result: run, rates } = await around(ctx, 'T2', ['raw'], latencyMs, 50, rows, () => {
    ctx.say(`T2: evalq, 2 workers × 25, ${rows} rows, 100 ms latency`);
    return runJob(ctx, { label: 't2', rows, workers: 2, concurrency: 25, latencyMs });
  });
  const ideal = 50 / (latencyMs / 1000);
  const ratio = run.rate / rates.raw;
  const efficiency = run.rate / ideal;
  // The first prediction beyond the model's own latency: evalq's part of the wait.
  const firstExtraMs = run.firstPredictionMs - latencyMs;
  ctx.figures.T2 = round(ratio, 3);
  ctx.figures.T2_of_ideal = round(efficiency, 3);
  ctx.figures.T2_per_s = round(run.rate, 1);
  ctx.figures.T2_raw_loop_per_s = round(rates.raw, 1);
  ctx.figures.T2_start = startAndConcurrency(run);
  ctx.figures.T2_transactions_per_row = round(run.transactionsPerRow, 3);
  ctx.figures.T2_cpu_us_per_row = { ...run.cpuPerRowUs, machine_busy: round(run.machineBusy, 2) };
  ctx.figures.T2_launch_startup_tail_s = [
    round(run.launchS, 3),
    round(run.startupS, 3),
    round(run.tailS, 3),
  ];
  ctx.figures.T2_including_launch = round(rows / (run.seconds + run.launchS) / ideal, 3);
  ctx.lines.push({
    id: 'T2',
    scenario: `100 ms, 2 workers × 25, ${rows} rows ÷ keep-alive HTTP loop (c=50); ÷ ideal 500/s`,
    measured: `${round(ratio, 3)} (${round(run.rate, 1)}/s ÷ ${round(rates.raw, 1)}/s); ideal ${round(efficiency, 3)}`,
    target: '≥ 0.95; ≥ 0.95',
    met: ratio >= 0.95 && efficiency >= 0.95,
  });
  ctx.lines.push({
    id: 'T2i',
    scenario: "100 ms, T2: fake server's average in flight ÷ allowed 50",
    measured: `${round(run.inFlightShare, 3)} (${round(run.averageInFlight, 1)} of 50)`,
    target: '≥ 0.95',
    met: run.inFlightShare >= 0.95,
  });
  ctx.lines.push({
    id: 'T2f',
    scenario: "100 ms, T2: launch's answer → first prediction stored, beyond the model's 100 ms",
    measured: `${round(firstExtraMs, 0)} ms (first claim ${round(run.firstClaimMs, 0)} ms, first call ${round(run.firstCallMs, 0)} ms, stored ${round(run.firstPredictionMs, 0)} ms)`,
    target: '≤ 100 ms',
    met: firstExtraMs <= 100,
  });
}

/** T3: 100 ms latency, 32 per worker: throughput with 2 and 4 workers ÷ with 1. */
export async function t3Scaling(ctx: BenchContext): Promise<void> {
  const rates: Record<number, number> = {};
  const peakMb: Record<number, number> = {};
  const cpu: Record<number, JobRunResult['cpuPerRowUs'] & { machine_busy: number }> = {};
  for (const workers of [1, 2, 4]) {
    const rows = Math.round(ctx.sizes.t3Seconds * workers * 320);
    ctx.say(`T3: evalq, ${workers} worker(s) × 32, ${rows} rows, 100 ms latency`);
    const run = await runJob(ctx, {
      label: `t3-${workers}`,
      rows,
      workers,
      concurrency: 32,
      latencyMs: 100,
    });
    rates[workers] = run.rate;
    peakMb[workers] = Math.max(...run.workerPeakMb);
    cpu[workers] = { ...run.cpuPerRowUs, machine_busy: round(run.machineBusy, 2) };
  }
  const two = rates[2]! / rates[1]!;
  const four = rates[4]! / rates[1]!;
  ctx.figures.T3 = [round(two, 2), round(four, 2)];
  ctx.figures.T3_per_s = [1, 2, 4].map((n) => round(rates[n]!, 1));
  ctx.figures.T3_cpu_us_per_row = [1, 2, 4].map((n) => cpu[n]);
  // What a worker at the default concurrency needs (docs/operations.md, "Kubernetes").
  ctx.figures.T3_worker_peak_rss_mb = [1, 2, 4].map((n) => round(peakMb[n]!, 0));
  ctx.lines.push({
    id: 'T3',
    scenario: '100 ms, 32 per worker: 2 and 4 workers ÷ 1 worker',
    measured: `${round(two, 2)}, ${round(four, 2)} (${[1, 2, 4].map((n) => `${round(rates[n]!, 0)}/s`).join(', ')}; ideal 320/640/1280)`,
    target: '≥ 1.9, ≥ 3.6',
    met: two >= 1.9 && four >= 3.6,
  });
}
