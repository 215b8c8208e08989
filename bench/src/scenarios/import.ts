import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { round, type BenchContext } from '../bench-context.js';
import { createImportReferenceTable } from '../bench-queries.js';

const run = promisify(execFile);

function* csvLines(rows: number): Generator<string> {
  yield 'content,expected_prediction\n';
  for (let i = 1; i <= rows; i += 1) {
    yield `"Is review ${i} positive, negative or neutral? ""Service was ${i % 2 ? 'great' : 'slow'}""",${i % 3 === 0 ? 'neutral' : i % 2 ? 'positive' : 'negative'}\n`;
  }
}

/** `psql \copy` of the file into T5's reference table; seconds. */
async function psqlCopySeconds(ctx: BenchContext, file: string): Promise<number> {
  await ctx.stack.pool.query('TRUNCATE bench_rows_copy');
  const started = performance.now();
  await run('psql', [
    ctx.stack.databaseUrl,
    '-v',
    'ON_ERROR_STOP=1',
    '-qc',
    `\\copy bench_rows_copy (content, expected_prediction) FROM '${file}' WITH (FORMAT csv, HEADER true)`,
  ]);
  return (performance.now() - started) / 1000;
}

/**
 * T5: a CSV of `bigRows` rows imported through the API (streamed upload) ÷ `psql \copy`
 * of the same file into a table of the same shape (before and after, averaged).
 * Returns the dataset, which T4 seeds a job on.
 */
export async function t5Import(ctx: BenchContext): Promise<number> {
  const rows = ctx.sizes.bigRows;
  const dir = await mkdtemp(join(tmpdir(), 'evalq-bench-'));
  const file = join(dir, 'rows.csv');
  try {
    await pipeline(Readable.from(csvLines(rows)), createWriteStream(file));
    const datasetId = await ctx.api.createDataset(`bench import ${rows}`);
    await createImportReferenceTable(ctx.stack.pool, datasetId);

    ctx.say(`T5: psql \\copy of a ${rows}-row CSV`);
    const before = await psqlCopySeconds(ctx, file);
    ctx.say(`T5: the same CSV through POST /v1/datasets/${datasetId}/rows`);
    const started = performance.now();
    const imported = await ctx.api.importCsv(datasetId, createReadStream(file));
    const apiSeconds = (performance.now() - started) / 1000;
    if (imported !== rows) throw new Error(`T5: imported ${imported} of ${rows} rows`);
    ctx.say('T5: psql \\copy again');
    const after = await psqlCopySeconds(ctx, file);
    await ctx.stack.pool.query('DROP TABLE bench_rows_copy');

    const psqlSeconds = (before + after) / 2;
    const ratio = psqlSeconds / apiSeconds;
    ctx.figures.T5 = round(ratio, 3);
    ctx.figures.T5_api_rows_per_s = round(rows / apiSeconds, 0);
    ctx.figures.T5_psql_rows_per_s = round(rows / psqlSeconds, 0);
    ctx.lines.push({
      id: 'T5',
      scenario: `import a ${rows}-row CSV through the API ÷ psql \\copy (rate)`,
      measured: `${round(ratio, 2)} (${round(rows / apiSeconds, 0)} ÷ ${round(rows / psqlSeconds, 0)} rows/s)`,
      target: '≥ 0.5',
      met: ratio >= 0.5,
    });
    return datasetId;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
