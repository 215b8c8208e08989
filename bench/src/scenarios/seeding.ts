import { round, type BenchContext } from '../bench-context.js';
import { createSeedReferenceTables, timePlainSeed } from '../bench-queries.js';
import type { JobKey } from '@evalq/core';

/**
 * T4: launching a job on the big dataset (POST /v1/jobs: one INSERT into
 * modelpromptstatus, whose trigger after_insert_model_prompt_status seeds a
 * predictionstatus row per dataset row) ÷ a plain INSERT … SELECT of the same rows into
 * a table of the same shape: columns, keys, indexes and the same four foreign keys.
 * A bare copy without foreign keys is reported too, to show what they cost.
 */
export async function t4Seeding(
  ctx: BenchContext,
  datasetId: number,
  baseUrl: string,
): Promise<JobKey> {
  const rows = ctx.sizes.bigRows;
  const modelId = await ctx.api.createModel('bench-t4', baseUrl);
  const promptId = await ctx.api.createPrompt('Classify the sentiment: {{content}}');
  await ctx.stack.pool.query('ANALYZE rows');
  await createSeedReferenceTables(ctx.stack.pool);
  const key = { model_id: modelId, prompt_id: promptId, dataset_id: datasetId };

  ctx.say(`T4: plain INSERT … SELECT of ${rows} rows (same shape, same foreign keys)`);
  const plain = await timePlainSeed(ctx.stack.pool, 'bench_seed_with_fks', key);
  ctx.say(`T4: launching a ${rows}-row job (the seeding trigger)`);
  const started = performance.now();
  const [launched] = await ctx.api.launch(datasetId, [modelId], [promptId]);
  const seeded = (performance.now() - started) / 1000;
  ctx.say('T4: plain INSERT … SELECT into a bare table (no foreign keys)');
  const bare = await timePlainSeed(ctx.stack.pool, 'bench_seed_bare', key);
  await ctx.stack.pool.query('DROP TABLE bench_seed_with_fks, bench_seed_bare');

  const ratio = seeded / plain;
  ctx.figures.T4 = round(ratio, 2);
  ctx.figures.T4_seconds = {
    trigger: round(seeded, 2),
    plain: round(plain, 2),
    bare: round(bare, 2),
  };
  ctx.lines.push({
    id: 'T4',
    scenario: `seed a ${rows}-row job ÷ plain INSERT … SELECT (same shape)`,
    measured: `${round(ratio, 2)} (${round(seeded, 1)} s ÷ ${round(plain, 1)} s; no-FK table ${round(bare, 1)} s)`,
    target: '≤ 3',
    met: ratio <= 3,
  });
  return launched!;
}
