import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { round, type BenchContext } from '../bench-context.js';

/** A provider's largest batch: the rows of B1's job, all in one batch. */
const BATCH_ROWS = 50_000;

function* csvLines(rows: number): Generator<string> {
  yield 'content,expected_prediction\n';
  for (let i = 1; i <= rows; i += 1) {
    yield `"Is review ${i} positive, negative or neutral? ""Service was ${i % 2 ? 'great' : 'slow'}""",${i % 3 === 0 ? 'neutral' : i % 2 ? 'positive' : 'negative'}\n`;
  }
}

/**
 * B1 (docs/batch.md): a worker ingesting a completed 50,000-line batch output — from
 * the moment it starts on the output (download, reading, grading each line, storing
 * the predictions with their counters) until the last line is stored, as the worker
 * logs it — ÷ importing the same 50,000 rows as a CSV through the API, measured before
 * and after in the same run, averaged. Rows per second, so ≥ 1 is "as fast as import".
 */
export async function b1BatchIngest(ctx: BenchContext): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'evalq-bench-b1-'));
  const server = await ctx.stack.startFakeServer(0);
  try {
    const file = join(dir, 'b1.csv');
    await pipeline(Readable.from(csvLines(BATCH_ROWS)), createWriteStream(file));
    const importSeconds = async (label: string): Promise<{ seconds: number; dataset: number }> => {
      const dataset = await ctx.api.createDataset(`bench b1 ${label}`);
      const started = performance.now();
      const imported = await ctx.api.importCsv(dataset, createReadStream(file));
      if (imported !== BATCH_ROWS) throw new Error(`B1: imported ${imported} rows`);
      return { seconds: (performance.now() - started) / 1000, dataset };
    };
    ctx.say(`B1: import a ${BATCH_ROWS}-row CSV through the API (reference)`);
    const before = await importSeconds('before');

    const worker = await ctx.stack.startWorker(32, 'b1 worker', { BATCH_POLL_MS: '100' });
    const startedLine = worker.waitForLine(
      (line) => line.msg === 'provider batch output: storing',
      180_000,
    );
    const storedLine = worker.waitForLine(
      (line) => line.msg === 'provider batch output stored',
      240_000,
    );
    const model = await ctx.api.createModel('bench-batch', server.url, {
      dispatch: 'batch',
      batch_max_requests: BATCH_ROWS,
    });
    const prompt = await ctx.api.createPrompt('Classify: {{content}}');
    ctx.say(`B1: a batch job of ${BATCH_ROWS} rows: one batch, then its output ingested`);
    await ctx.api.launch(before.dataset, [model], [prompt]);
    const started = await startedLine;
    const stored = await storedLine;
    if (stored.inserted !== BATCH_ROWS) {
      throw new Error(`B1: ${String(stored.inserted)} predictions stored, not ${BATCH_ROWS}`);
    }
    // The worker's own log times (ISO, to the millisecond).
    const ingestSeconds =
      (Date.parse(String(stored.time)) - Date.parse(String(started.time))) / 1000;
    await ctx.stack.stop([worker]);

    ctx.say('B1: import the CSV again');
    const after = await importSeconds('after');
    const importRate = BATCH_ROWS / ((before.seconds + after.seconds) / 2);
    const ingestRate = BATCH_ROWS / ingestSeconds;
    const ratio = ingestRate / importRate;
    ctx.figures.B1 = round(ratio, 3);
    ctx.figures.B1_rows_per_s = { ingest: round(ingestRate, 0), import: round(importRate, 0) };
    ctx.lines.push({
      id: 'B1',
      scenario: `ingest a completed ${BATCH_ROWS}-line batch output ÷ CSV import of as many rows (rate)`,
      measured: `${round(ratio, 2)} (${round(ingestRate, 0)} ÷ ${round(importRate, 0)} rows/s)`,
      target: '≥ 0.5',
      met: ratio >= 0.5,
    });
  } finally {
    await ctx.stack.stop([server.process]);
    await rm(dir, { recursive: true, force: true });
  }
}
