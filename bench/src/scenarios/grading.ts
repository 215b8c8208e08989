import { setTimeout as sleep } from 'node:timers/promises';
import type { JobKey } from '@evalq/core';
import { round, type BenchContext } from '../bench-context.js';
import {
  fillGradedJob,
  insertRows,
  timePairAggregate,
  timePlainVerdictUpdate,
} from '../bench-queries.js';
import { EvalqApi } from '../evalq-api.js';
import { runJob } from '../job-run.js';

/** Six assertions that need no model call (docs/grading.md). */
const SIX_ASSERTIONS = [
  { type: 'contains', value: 'What' },
  { type: 'icontains' },
  { type: 'regex', value: '\\d+' },
  { type: 'number' },
  { type: 'similar', threshold: 0.5 },
  { type: 'latency', value: 5 },
];

/**
 * G1: 0 ms latency, 2 workers × 32, with six deterministic assertions ÷ the same job
 * graded by the default (equals). The plain run goes before and after, averaged.
 */
export async function g1GradingThroughput(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t1Rows;
  const run = (label: string, assertions?: object[]) =>
    runJob(ctx, { label, rows, workers: 2, concurrency: 32, latencyMs: 0, assertions });
  ctx.say(`G1: ${rows} rows, 0 ms, 2 workers × 32: default grading (equals)`);
  const before = await run('g1-plain');
  ctx.say('G1: the same with six deterministic assertions');
  const graded = await run('g1-six', SIX_ASSERTIONS);
  ctx.say('G1: default grading again');
  const after = await run('g1-plain-again');
  const reference = (before.rate + after.rate) / 2;
  const ratio = graded.rate / reference;
  ctx.figures.G1 = round(ratio, 3);
  ctx.figures.G1_per_s = { six: round(graded.rate, 0), equals: round(reference, 0) };
  ctx.lines.push({
    id: 'G1',
    scenario: `0 ms, 2 workers × 32, ${rows} rows: six assertions ÷ equals only`,
    measured: `${round(ratio, 2)} (${round(graded.rate, 0)}/s ÷ ${round(reference, 0)}/s)`,
    target: '≥ 0.9',
    met: ratio >= 0.9,
  });
}

async function newCandidate(ctx: BenchContext, datasetId: number, label: string): Promise<JobKey> {
  return {
    model_id: await ctx.api.createModel(`bench-${label}`, 'http://127.0.0.1:9/v1'),
    prompt_id: await ctx.api.createPrompt(`${label}: {{content}}`),
    dataset_id: datasetId,
  };
}

/**
 * G2: regrading every prediction of a `bigRows` job with deterministic assertions, by
 * two workers, ÷ a plain SQL UPDATE setting `passed` on the same rows; peak RSS of the
 * workers and of an API that took the request and was polled meanwhile.
 */
export async function g2Regrade(ctx: BenchContext, datasetId: number): Promise<void> {
  const rows = ctx.sizes.bigRows;
  const key = await newCandidate(ctx, datasetId, 'g2');
  ctx.say(`G2: a finished job of ${rows} graded predictions`);
  await fillGradedJob(ctx.stack.pool, key, 'r.row_id % 3 = 0');
  ctx.say('G2: reference, a plain UPDATE setting passed on every prediction');
  const updateSeconds = await timePlainVerdictUpdate(ctx.stack.pool, key);

  const api = await ctx.stack.startApi();
  const workers = [
    await ctx.stack.startWorker(32, 'g2 worker 1'),
    await ctx.stack.startWorker(32, 'g2 worker 2'),
  ];
  try {
    const client = new EvalqApi(api.url);
    ctx.say('G2: POST …/regrade, two workers regrade');
    const started = performance.now();
    const remaining = await client.regrade(key, [
      { type: 'equals' },
      { type: 'contains' },
      { type: 'number' },
    ]);
    if (remaining !== rows) throw new Error(`G2: ${remaining} to regrade, not ${rows}`);
    for (;;) {
      const progress = await client.progress(key);
      if (!progress.regrading) break;
      await sleep(100);
    }
    const regradeSeconds = (performance.now() - started) / 1000;
    const ratio = updateSeconds / regradeSeconds;
    const workerMb = Math.max(...workers.map((w) => w.peakRssMb()));
    const apiMb = api.process.peakRssMb();
    ctx.figures.G2 = round(ratio, 3);
    ctx.figures.G2_detail = {
      regrade_per_s: round(rows / regradeSeconds, 0),
      update_per_s: round(rows / updateSeconds, 0),
      worker_mb: round(workerMb, 0),
      api_mb: round(apiMb, 0),
    };
    ctx.lines.push({
      id: 'G2',
      scenario: `regrade ${rows} predictions, 2 workers ÷ plain UPDATE of passed; peak RSS`,
      measured:
        `${round(ratio, 2)} (${round(rows / regradeSeconds, 0)}/s ÷ ${round(rows / updateSeconds, 0)}/s); ` +
        `worker ${round(workerMb, 0)} MB, API ${round(apiMb, 0)} MB`,
      target: '≥ 0.3; ≤ 150 MB',
      met: ratio >= 0.3 && workerMb <= 150 && apiMb <= 150,
    });
  } finally {
    await ctx.stack.stop([...workers, api.process]);
  }
}

/** Best of three, seconds. */
async function bestOf(work: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i += 1) times.push(await work());
  return Math.min(...times);
}

/** Two candidates with predictions on every row of a dataset; compare's time ÷ one aggregate. */
async function timeCompare(ctx: BenchContext, datasetId: number, label: string) {
  const a = await newCandidate(ctx, datasetId, `${label}-a`);
  const b = { ...a, model_id: (await newCandidate(ctx, datasetId, `${label}-b`)).model_id };
  const rows = await fillGradedJob(ctx.stack.pool, a, 'r.row_id % 3 <> 0');
  await fillGradedJob(ctx.stack.pool, b, 'r.row_id % 4 <> 0');
  await ctx.stack.pool.query('ANALYZE predictions');
  const reference = await bestOf(() => timePairAggregate(ctx.stack.pool, a, b));
  const compare = await bestOf(async () => {
    const started = performance.now();
    const result = await ctx.api.compare(
      datasetId,
      `${a.model_id}/${a.prompt_id}`,
      `${b.model_id}/${b.prompt_id}`,
    );
    if (result.n_paired !== rows)
      throw new Error(`${label}: ${result.n_paired} pairs, not ${rows}`);
    return (performance.now() - started) / 1000;
  });
  return { rows, reference, compare };
}

/**
 * G3: GET /v1/compare on two `bigRows`-row jobs ÷ one SQL aggregate over the same
 * pairs, and how its time grows from a tenth of the rows to all of them.
 */
export async function g3Compare(ctx: BenchContext, datasetId: number): Promise<void> {
  const smallDataset = await ctx.api.createDataset('bench g3 small');
  await insertRows(ctx.stack.pool, smallDataset, Math.round(ctx.sizes.bigRows / 10));
  ctx.say(`G3: compare on two ${ctx.sizes.bigRows / 10}-row jobs`);
  const small = await timeCompare(ctx, smallDataset, 'g3-small');
  ctx.say(`G3: compare on two ${ctx.sizes.bigRows}-row jobs`);
  const big = await timeCompare(ctx, datasetId, 'g3');
  const ratio = big.compare / big.reference;
  // Time per pair at full size ÷ at a tenth: 1 or less is linear or better.
  const growth = big.compare / big.rows / (small.compare / small.rows);
  ctx.figures.G3 = round(ratio, 3);
  ctx.figures.G3_detail = {
    compare_s: round(big.compare, 3),
    aggregate_s: round(big.reference, 3),
    small_compare_s: round(small.compare, 3),
    growth_per_pair: round(growth, 2),
  };
  ctx.lines.push({
    id: 'G3',
    scenario: `GET /v1/compare, two ${big.rows}-row jobs ÷ one SQL aggregate; growth per pair ×10 rows`,
    measured: `${round(ratio, 2)} (${round(big.compare, 2)} s ÷ ${round(big.reference, 2)} s); growth ${round(growth, 2)}`,
    target: '≤ 2; ≤ 1.2',
    met: ratio <= 2 && growth <= 1.2,
  });
}
