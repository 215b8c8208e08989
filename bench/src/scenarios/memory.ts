import { get } from 'node:http';
import { round, type BenchContext } from '../bench-context.js';
import { fillPredictions } from '../bench-queries.js';
import type { JobKey } from '@evalq/core';
import { runJob } from '../job-run.js';

/** Streams the export to nowhere; resolves with its number of lines. */
function download(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`GET ${url}: HTTP ${response.statusCode}`));
        response.resume();
        return;
      }
      let lines = 0;
      response.on('data', (chunk: Buffer) => {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      });
      response.once('end', () => resolve(lines));
      response.once('error', reject);
    }).once('error', reject);
  });
}

/**
 * T7: peak RSS of a worker (one, concurrency 32, 0 ms latency: the most allocation per
 * second) through a job of `t7WorkerRows` rows, and of a fresh API process exporting
 * the big job's predictions (filled in first for every row).
 */
export async function t7Memory(ctx: BenchContext, bigJob: JobKey): Promise<void> {
  const rows = ctx.sizes.t7WorkerRows;
  ctx.say(`T7: one worker × 32 through a ${rows}-row job, 0 ms latency`);
  const run = await runJob(ctx, { label: 't7', rows, workers: 1, concurrency: 32, latencyMs: 0 });
  const workerMb = run.workerPeakMb[0]!;

  ctx.say(`T7: exporting ${ctx.sizes.bigRows} predictions from a fresh API`);
  await fillPredictions(ctx.stack.pool, bigJob);
  const api = await ctx.stack.startApi();
  let apiMb: number;
  let exportSeconds: number;
  try {
    const query = `dataset_id=${bigJob.dataset_id}&model_id=${bigJob.model_id}&prompt_id=${bigJob.prompt_id}&format=csv`;
    const started = performance.now();
    const lines = await download(`${api.url}/v1/predictions/export?${query}`);
    exportSeconds = (performance.now() - started) / 1000;
    // A header line, then one line per prediction (no field of these rows holds a newline).
    if (lines !== ctx.sizes.bigRows + 1) {
      throw new Error(`T7: the export has ${lines - 1} predictions, not ${ctx.sizes.bigRows}`);
    }
    apiMb = api.process.peakRssMb();
  } finally {
    await ctx.stack.stop([api.process]);
  }

  ctx.figures.T7 = { worker_mb: round(workerMb, 0), api_mb: round(apiMb, 0) };
  ctx.figures.T7_detail = {
    worker_rows_per_s: round(run.rate, 0),
    export_rows_per_s: round(ctx.sizes.bigRows / exportSeconds, 0),
  };
  ctx.lines.push({
    id: 'T7',
    scenario: `peak RSS: worker through ${rows} rows; API exporting ${ctx.sizes.bigRows} predictions`,
    measured: `worker ${round(workerMb, 0)} MB (${round(run.rate, 0)}/s), API ${round(apiMb, 0)} MB`,
    target: '≤ 150 MB each',
    met: workerMb <= 150 && apiMb <= 150,
  });
}
