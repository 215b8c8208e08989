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

/** Two variants of the CSV: content and label only, or with three input columns too. */
interface ImportVariant {
  id: 'T5' | 'T5i';
  what: string;
  /** Header columns after content and expected_prediction. */
  inputColumns: string[];
  /** The reference table's columns for them (a dotted header has none of its own). */
  referenceColumns: string[];
}

const PLAIN: ImportVariant = { id: 'T5', what: 'CSV', inputColumns: [], referenceColumns: [] };
const WITH_INPUT: ImportVariant = {
  id: 'T5i',
  what: 'CSV with three input columns',
  inputColumns: ['lang', 'topic', 'meta.source'],
  referenceColumns: ['lang', 'topic', 'source'],
};

const TOPICS = ['billing', 'delivery', 'quality', 'support'];

function* csvLines(rows: number, variant: ImportVariant): Generator<string> {
  yield ['content', 'expected_prediction', ...variant.inputColumns].join(',') + '\n';
  for (let i = 1; i <= rows; i += 1) {
    const extra =
      variant.inputColumns.length === 0
        ? ''
        : `,${i % 5 === 0 ? 'fr' : 'en'},${TOPICS[i % 4]},"shop ${i % 97}, web"`;
    yield `"Is review ${i} positive, negative or neutral? ""Service was ${i % 2 ? 'great' : 'slow'}""",${i % 3 === 0 ? 'neutral' : i % 2 ? 'positive' : 'negative'}${extra}\n`;
  }
}

/** `psql \copy` of the file into T5's reference table; seconds. */
async function psqlCopySeconds(
  ctx: BenchContext,
  file: string,
  variant: ImportVariant,
): Promise<number> {
  await ctx.stack.pool.query('TRUNCATE bench_rows_copy');
  const columns = ['content', 'expected_prediction', ...variant.referenceColumns].join(', ');
  const started = performance.now();
  await run('psql', [
    ctx.stack.databaseUrl,
    '-v',
    'ON_ERROR_STOP=1',
    '-qc',
    `\\copy bench_rows_copy (${columns}) FROM '${file}' WITH (FORMAT csv, HEADER true)`,
  ]);
  return (performance.now() - started) / 1000;
}

/**
 * One variant: a CSV of `bigRows` rows imported through the API (streamed upload) ÷
 * `psql \copy` of the same file into a table of the same shape (the rows table, plus a
 * text column per input column), before and after, averaged. Returns the dataset.
 */
async function importVariant(
  ctx: BenchContext,
  dir: string,
  variant: ImportVariant,
): Promise<number> {
  const rows = ctx.sizes.bigRows;
  const file = join(dir, `${variant.id}.csv`);
  await pipeline(Readable.from(csvLines(rows, variant)), createWriteStream(file));
  const datasetId = await ctx.api.createDataset(`bench import ${variant.id} ${rows}`);
  await createImportReferenceTable(ctx.stack.pool, datasetId, variant.referenceColumns);

  ctx.say(`${variant.id}: psql \\copy of a ${rows}-row ${variant.what}`);
  const before = await psqlCopySeconds(ctx, file, variant);
  ctx.say(`${variant.id}: the same file through POST /v1/datasets/${datasetId}/rows`);
  const started = performance.now();
  const imported = await ctx.api.importCsv(datasetId, createReadStream(file));
  const apiSeconds = (performance.now() - started) / 1000;
  if (imported !== rows) throw new Error(`${variant.id}: imported ${imported} of ${rows} rows`);
  ctx.say(`${variant.id}: psql \\copy again`);
  const after = await psqlCopySeconds(ctx, file, variant);
  await ctx.stack.pool.query('DROP TABLE bench_rows_copy');

  const psqlSeconds = (before + after) / 2;
  const ratio = psqlSeconds / apiSeconds;
  ctx.figures[variant.id] = round(ratio, 3);
  ctx.figures[`${variant.id}_api_rows_per_s`] = round(rows / apiSeconds, 0);
  ctx.figures[`${variant.id}_psql_rows_per_s`] = round(rows / psqlSeconds, 0);
  ctx.lines.push({
    id: variant.id,
    scenario: `import a ${rows}-row ${variant.what} through the API ÷ psql \\copy (rate)`,
    measured: `${round(ratio, 2)} (${round(rows / apiSeconds, 0)} ÷ ${round(rows / psqlSeconds, 0)} rows/s)`,
    target: '≥ 0.5',
    met: ratio >= 0.5,
  });
  return datasetId;
}

/**
 * T5: the import rate through the API against psql's, for a plain CSV and (T5i) for one
 * whose three extra columns become each row's input object. Returns the plain
 * variant's dataset, which T4 seeds a job on.
 */
export async function t5Import(ctx: BenchContext): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'evalq-bench-'));
  try {
    const datasetId = await importVariant(ctx, dir, PLAIN);
    await importVariant(ctx, dir, WITH_INPUT);
    return datasetId;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
