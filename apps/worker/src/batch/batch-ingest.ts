import type { Kysely } from 'kysely';
import {
  batchOwner,
  finishRows,
  type ClaimedRow,
  type Database,
  type FinishedRow,
  type ProviderBatchRecord,
} from '@evalq/db';
import type { JudgeCall } from '@evalq/grading';
import { batchPrices, callCost, type Completion } from '@evalq/providers';
import type { JobContext } from '../job-catalog.js';
import { gradedRow } from '../row-results.js';
import { readBatchResults } from './batch-output.js';

/**
 * Results stored per statement while ingesting: as the finish buffer's default. Larger
 * statements are slower per row (the counting trigger updates the job's row once per
 * prediction, and those versions pile up within one transaction: docs/batch.md).
 */
const INGEST_CHUNK = 250;

export interface IngestDeps {
  db: Kysely<Database>;
  judge: JudgeCall;
  /** Counts what the stored lines cost (the worker's spend metric). */
  spend: (modelId: number, usd: number) => void;
}

/**
 * Stores each successful line of a batch's output as its row's prediction, graded as an
 * online answer is, through the claim protocol's finish statement under the batch's
 * owner: a line whose row the batch no longer holds (stored already by an earlier
 * ingest, or the job cancelled) stores nothing, so ingesting again after a crash
 * duplicates nothing. Error lines store nothing: their rows stay with the batch and go
 * to online calls afterwards. The output is read as it downloads. Returns how many
 * predictions were inserted.
 */
export async function ingestBatchOutput(
  batch: ProviderBatchRecord,
  rows: readonly ClaimedRow[],
  output: AsyncIterable<string> | Iterable<string>,
  context: JobContext,
  deps: IngestDeps,
): Promise<number> {
  const byRow = new Map<number, ClaimedRow>();
  for (const row of rows) byRow.set(row.row_id, row);
  const owner = batchOwner(batch.batch_key);
  let inserted = 0;
  let chunk: Promise<FinishedRow>[] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const finished = await Promise.all(chunk);
    chunk = [];
    inserted += (await finishRows(deps.db, owner, finished)).inserted;
  };
  for await (const line of readBatchResults(output)) {
    const row = byRow.get(line.row_id);
    if (!line.ok || !row || row.claim_attempt !== line.claim_attempt) continue;
    byRow.delete(line.row_id);
    chunk.push(finished(batch, row, line.completion, context, deps.judge, deps.spend));
    if (chunk.length >= INGEST_CHUNK) await flush();
  }
  await flush();
  return inserted;
}

async function finished(
  batch: ProviderBatchRecord,
  row: ClaimedRow,
  completion: Completion,
  context: JobContext,
  judge: JudgeCall,
  spend: IngestDeps['spend'],
): Promise<FinishedRow> {
  const variables = {
    content: row.content,
    expected: row.expected_prediction,
    input: row.input ?? {},
  };
  // The one cost rule (packages/providers/src/call-cost.ts), at the batch price.
  const { model } = context;
  const cost = callCost(
    batchPrices(model.prices, model.settings.batchPriceFactor),
    completion.promptTokens,
    completion.completionTokens,
  );
  const basics = {
    row_id: row.row_id,
    model_id: batch.model_id,
    prompt_id: batch.prompt_id,
    claim_attempt: row.claim_attempt,
    dataset_id: batch.dataset_id,
    formatted_prompt: context.prompt.render(variables).formatted,
    attempts: 1,
    // A batch line has no latency of its own (docs/batch.md).
    prediction_time: 0,
  };
  const stored = await gradedRow(
    basics,
    { completion, cost, cached: false },
    variables,
    context.grading,
    judge,
  );
  if (cost) spend(model.modelId, cost);
  return stored;
}
