import { round, type BenchContext } from '../bench-context.js';
import { SDK_LOOP_MAIN } from '../bench-stack.js';
import { runJob, type JobRunResult } from '../job-run.js';

/** The bare `openai` SDK loop (T1's reference) against a fresh 0 ms fake server: requests/s. */
async function bareSdkRate(
  ctx: BenchContext,
  concurrency: number,
  requests: number,
): Promise<number> {
  const server = await ctx.stack.startFakeServer(0);
  try {
    const loop = ctx.stack.startChild('openai SDK loop', SDK_LOOP_MAIN, [
      server.url,
      String(concurrency),
      String(requests),
    ]);
    const result = await loop.waitForLine((line) => typeof line.rate === 'number', 600_000);
    await ctx.stack.stop([loop]);
    return result.rate as number;
  } finally {
    await ctx.stack.stop([server.process]);
  }
}

/**
 * T1: 0 ms latency, 2 workers × 32, against the bare SDK loop at concurrency 64. The
 * reference runs before and after evalq and the two are averaged, so a drift of the
 * shared machine during the scenario weighs on both sides alike.
 */
export async function t1ZeroLatency(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t1Rows;
  ctx.say(`T1: bare openai SDK loop, concurrency 64, ${rows} requests`);
  const before = await bareSdkRate(ctx, 64, rows);
  ctx.say(`T1: evalq, 2 workers × 32, ${rows} rows, 0 ms latency`);
  const evalq = await runJob(ctx, { label: 't1', rows, workers: 2, concurrency: 32, latencyMs: 0 });
  ctx.say('T1: bare openai SDK loop again');
  const after = await bareSdkRate(ctx, 64, rows);
  const reference = (before + after) / 2;
  const ratio = evalq.rate / reference;

  ctx.say('T1: evalq, 1 worker × 32 (for the record)');
  const single = await runJob(ctx, {
    label: 't1-one',
    rows,
    workers: 1,
    concurrency: 32,
    latencyMs: 0,
  });

  ctx.figures.T1 = round(ratio, 3);
  ctx.figures.T1_evalq_per_s = round(evalq.rate, 0);
  ctx.figures.T1_sdk_loop_per_s = round(reference, 0);
  ctx.figures.T1_one_worker_per_s = round(single.rate, 0);
  ctx.figures.T1_cpu_us_per_row = {
    ...evalq.cpuPerRowUs,
    machine_busy: round(evalq.machineBusy, 2),
  };
  ctx.lines.push({
    id: 'T1',
    scenario: `0 ms, 2 workers × 32, ${rows} rows ÷ bare openai SDK loop (c=64)`,
    measured: `${round(ratio, 2)} (${round(evalq.rate, 0)}/s ÷ ${round(reference, 0)}/s; 1 worker ${round(single.rate, 0)}/s)`,
    target: '≥ 0.5',
    met: ratio >= 0.5,
  });
}

/** T2: 100 ms latency, 2 workers × 25: achieved ÷ ideal (50 ÷ 0.1 s = 500/s). */
export async function t2LatencyEfficiency(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t2Rows;
  ctx.say(`T2: evalq, 2 workers × 25, ${rows} rows, 100 ms latency`);
  const run = await runJob(ctx, { label: 't2', rows, workers: 2, concurrency: 25, latencyMs: 100 });
  const ideal = 50 / 0.1;
  const efficiency = run.rate / ideal;
  ctx.figures.T2 = round(efficiency, 3);
  ctx.figures.T2_per_s = round(run.rate, 1);
  ctx.figures.T2_first_claim_ms = round(run.firstClaimMs, 0);
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
    scenario: `100 ms, 2 workers × 25, ${rows} rows: achieved ÷ ideal 500/s`,
    measured: `${round(efficiency, 3)} (${round(run.rate, 1)}/s)`,
    target: '≥ 0.95',
    met: efficiency >= 0.95,
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
