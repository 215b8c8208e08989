#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --only T1,T6]`: evalq's performance targets
 * (docs/performance.md). Starts its own fake model server, API
 * and workers against a database of its own; prints a table, then one JSON line.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { round, type BenchContext } from './bench-context.js';
import { insertRows } from './bench-queries.js';
import { BenchStack } from './bench-stack.js';
import { EvalqApi } from './evalq-api.js';
import { describeMachine } from './machine.js';
import { formatTable } from './report.js';
import { c1CachedJob, c2CacheMisses, c3BudgetAccounting } from './scenarios/cost.js';
import { b1BatchIngest } from './scenarios/batch-ingest.js';
import { g1GradingThroughput, g2Regrade, g3Compare } from './scenarios/grading.js';
import { t5Import } from './scenarios/import.js';
import { t8QueueLess, t9DemoColdWarm } from './scenarios/local-mode.js';
import { t7Memory } from './scenarios/memory.js';
import { t6ProgressReads } from './scenarios/progress-reads.js';
import { t4Seeding } from './scenarios/seeding.js';
import { t1ZeroLatency, t2LatencyEfficiency, t3Scaling } from './scenarios/throughput.js';
import { t10Fleet } from './scenarios/fleet.js';
import { FULL_SIZES, QUICK_SIZES } from './sizes.js';

const ALL = [
  'T1',
  'T2',
  'T3',
  'T4',
  'T5',
  'T6',
  'T7',
  'T8',
  'T9',
  'T10',
  'G1',
  'G2',
  'G3',
  'C1',
  'C2',
  'C3',
  'B1',
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const selected = new Set(
  values.only
    ? values.only
        .toUpperCase()
        .split(',')
        .map((id) => id.trim())
    : ALL,
);
const unknown = [...selected].filter((id) => !ALL.includes(id));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}: choose among ${ALL.join(', ')}\n`);
  process.exit(2);
}

const say = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const began = performance.now();
const stack = await BenchStack.create();
let failed = false;
const stopOnSignal = () => void stack.close().finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
try {
  const api = await stack.startApi();
  const ctx: BenchContext = {
    stack,
    api: new EvalqApi(api.url),
    apiProcess: api.process,
    peakRssMb: { workers: 0 },
    sizes: values.quick ? QUICK_SIZES : FULL_SIZES,
    figures: { mode: values.quick ? 'quick' : 'full' },
    lines: [],
    say,
  };
  ctx.figures.machine = await describeMachine(stack.pool);
  ctx.figures.load_at_start = loadavg().map((load) => round(load, 2));

  if (selected.has('T1')) await t1ZeroLatency(ctx);
  if (selected.has('T2')) await t2LatencyEfficiency(ctx);
  if (selected.has('T3')) await t3Scaling(ctx);
  if (selected.has('T8')) await t8QueueLess(ctx);
  if (selected.has('T9')) await t9DemoColdWarm(ctx);
  if (selected.has('T10')) await t10Fleet(ctx);
  if (selected.has('G1')) await g1GradingThroughput(ctx);
  if (selected.has('C1')) await c1CachedJob(ctx);
  if (selected.has('C2')) await c2CacheMisses(ctx);
  if (selected.has('C3')) await c3BudgetAccounting(ctx);
  if (selected.has('B1')) await b1BatchIngest(ctx);

  // T4, T6 and T7 work on the big dataset: T5 imports it, or it is inserted directly.
  const needsBig = ['T4', 'T6', 'T7', 'G2', 'G3'].some((id) => selected.has(id));
  let bigDataset: number | undefined;
  if (selected.has('T5')) bigDataset = await t5Import(ctx);
  if (needsBig) {
    if (bigDataset === undefined) {
      bigDataset = await ctx.api.createDataset('bench big');
      await insertRows(stack.pool, bigDataset, ctx.sizes.bigRows);
    }
    if (['T4', 'T6', 'T7'].some((id) => selected.has(id))) {
      // The big job's model answers after 100 ms: T6 reads its progress while it runs.
      const slowServer = await stack.startFakeServer(100);
      const bigJob = await t4Seeding(ctx, bigDataset, slowServer.url);
      if (selected.has('T6')) await t6ProgressReads(ctx, bigJob, slowServer.url);
      // Cancelled once read: left running, it would be claimed by every later scenario's
      // workers (against a stopped server) and share their time with what they measure.
      await ctx.api.cancel(bigJob);
      await stack.stop([slowServer.process]);
      if (selected.has('T7')) await t7Memory(ctx, bigJob);
    }
    if (selected.has('G2')) await g2Regrade(ctx, bigDataset);
    if (selected.has('G3')) await g3Compare(ctx, bigDataset);
  }
  if (!selected.has('T4')) {
    ctx.lines = ctx.lines.filter((line) => line.id !== 'T4');
    delete ctx.figures.T4;
  }

  const apiMb = api.process.peakRssMb();
  if (ctx.peakRssMb.workers > 0) {
    ctx.figures.peak_rss_mb = { workers: round(ctx.peakRssMb.workers, 0), api: round(apiMb, 0) };
    ctx.lines.push({
      id: 'RSS',
      scenario: "peak RSS of every worker and of the API over this run's scenarios",
      measured: `workers ≤ ${round(ctx.peakRssMb.workers, 0)} MB, API ${round(apiMb, 0)} MB`,
      target: '≤ 150 MB each',
      met: ctx.peakRssMb.workers <= 150 && apiMb <= 150,
    });
  }
  ctx.figures.load_at_end = loadavg().map((load) => round(load, 2));
  ctx.figures.seconds = Math.round((performance.now() - began) / 1000);
  ctx.lines.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
  process.stdout.write(`\n${formatTable(ctx.lines)}\n\n`);
  process.stdout.write(`${JSON.stringify(ctx.figures)}\n`);
} catch (error) {
  failed = true;
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await stack.close();
}
process.exit(failed ? 1 : 0);
