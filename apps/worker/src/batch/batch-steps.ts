import type { Kysely } from 'kysely';
import { coerceError, type Logger } from '@evalq/core';
import {
  batchClaims,
  batchOwner,
  batchRows,
  finishRows,
  moveBatchRowsToWorker,
  recordBatch,
  releaseClaims,
  type BatchChanges,
  type Database,
  type ProviderBatchRecord,
} from '@evalq/db';
import type { JudgeCall } from '@evalq/grading';
import {
  FINAL_BATCH_STATUSES,
  ProviderError,
  type BatchClient,
  type ProviderBatch,
} from '@evalq/providers';
import type { JobCatalog, JobContext } from '../job-catalog.js';
import type { RowWork } from '../row-call.js';
import { errorSummary } from '../error-summary.js';
import { failedRow, renderFailure } from '../row-results.js';
import { batchFileName, buildBatchFile, type BatchFile } from './batch-file.js';
import type { BatchMetrics } from './batch-metrics.js';
import { ingestBatchOutput } from './batch-ingest.js';

export interface BatchStepDeps {
  db: Kysely<Database>;
  workerId: string;
  catalog: JobCatalog;
  judge: JudgeCall;
  /** Where rows sent back to online calls go (the worker's row dispatcher). */
  callOnline: (works: RowWork[]) => void;
  /** Seconds between two polls of a batch at the provider. */
  pollSeconds: number;
  metrics: BatchMetrics;
  /** Counts what stored lines cost (the worker's spend metric). */
  spend: (modelId: number, usd: number) => void;
  log: Logger;
}

/** The metadata key a batch is tagged with, so a create whose answer was lost is found again. */
const BATCH_TAG = 'evalq_batch';
/** Files and batches are looked for from a little before the batch was recorded (clock skew). */
const FIND_SLACK_SECONDS = 600;

/** The lease was taken over by another worker: this one stops touching the batch. */
class LostLease extends Error {}

/**
 * Takes a leased batch as far as it can go now (docs/batch.md, "A batch's life"): each
 * step's state is recorded before the step is taken, so whoever takes the batch over
 * after a crash knows what may have happened at the provider and checks before acting.
 * Ends by giving the lease up with the time of the next check.
 */
export async function advanceBatch(start: ProviderBatchRecord, deps: BatchStepDeps): Promise<void> {
  let batch = start;
  const log = deps.log.child({
    batch_key: batch.batch_key,
    model_id: batch.model_id,
    prompt_id: batch.prompt_id,
    dataset_id: batch.dataset_id,
  });
  const memory: StepMemory = { stateEnteredHere: false };
  const record = async (changes: BatchChanges): Promise<void> => {
    if (!(await recordBatch(deps.db, batch.batch_key, deps.workerId, changes))) {
      throw new LostLease();
    }
    batch = { ...batch, ...(changes as Partial<ProviderBatchRecord>) };
    if (changes.state !== undefined) memory.stateEnteredHere = true;
  };
  try {
    for (let steps = 0; steps < 10; steps += 1) {
      const next = await step(batch, deps, record, memory, log);
      if (next === 'wait') return;
    }
  } catch (error) {
    if (error instanceof LostLease) {
      log.warn('provider batch taken over by another worker; leaving it');
      return;
    }
    const problem = coerceError(error);
    const retryable = !(error instanceof ProviderError) || error.retryable;
    if (retryable || batch.state === 'returning') {
      log.warn(
        { err: problem.message, state: batch.state },
        'provider batch step failed; retrying later',
      );
      await recordBatch(deps.db, batch.batch_key, deps.workerId, {
        error: problem.message,
        next_check_in_s: deps.pollSeconds,
      });
      return;
    }
    // The provider refuses the batch for good: its rows go to online calls.
    log.error(
      { err: problem.message, state: batch.state },
      'provider refused the batch: its rows go to online calls',
    );
    await recordBatch(deps.db, batch.batch_key, deps.workerId, {
      state: 'returning',
      error: problem.message,
      next_check_in_s: 0,
    });
  }
}

type Record = (changes: BatchChanges) => Promise<void>;

/** What one advanceBatch call knows from the steps it took itself. */
interface StepMemory {
  /**
   * The batch's current state was recorded by this call: its step has no earlier attempt
   * behind it (a worker that crashed mid-step leaves the state to a later call), so the
   * provider need not be searched for an upload or a batch before taking it.
   */
  stateEnteredHere: boolean;
  /** The input file prepare() built in this call, not to be built again for the upload. */
  file?: { content: string; requests: number };
}

/** One step; 'go' when the next can follow right away, 'wait' when the lease was given up. */
async function step(
  batch: ProviderBatchRecord,
  deps: BatchStepDeps,
  record: Record,
  memory: StepMemory,
  log: Logger,
): Promise<'go' | 'wait'> {
  const job = {
    model_id: batch.model_id,
    prompt_id: batch.prompt_id,
    dataset_id: batch.dataset_id,
  };
  const context = await deps.catalog.ensure(job);
  if (batch.cancel_requested || !context) {
    // The job is gone: its model may not be in this worker's catalog through it.
    const model = context?.model ?? (await deps.catalog.model(batch.model_id));
    await cancel(batch, model?.batch, record, deps, log);
    return 'wait';
  }
  if (batch.state === 'returning') {
    const returned = await returnOnline(batch, context, deps);
    if (returned > 0) {
      deps.metrics.lines.inc({ model_id: String(batch.model_id), outcome: 'online' }, returned);
      log.info({ rows: returned }, 'batch rows sent to online calls');
    }
    if (context.model.batch) {
      const files = [batch.input_file_id, batch.output_file_id, batch.error_file_id];
      await deleteBatchFiles(files, context.model.batch, log);
    }
    await record({ state: 'done', returned, next_check_in_s: 0 });
    return 'wait';
  }
  const client = context.model.batch;
  if (!client) {
    // The model no longer dispatches in batches: what was not sent goes online.
    if (batch.provider_batch_id === null && batch.state !== 'creating') {
      await record({ state: 'returning' });
      return 'go';
    }
    throw new ProviderError('config', 'the model no longer has a Batch API (config.dispatch)');
  }
  const since = Math.floor(batch.created_at.getTime() / 1000) - FIND_SLACK_SECONDS;
  switch (batch.state) {
    case 'assigned':
      memory.file = await prepare(batch, context, client, deps, record);
      return 'go';
    case 'uploading': {
      const filename = batchFileName(batch.uid);
      let fileId = memory.stateEnteredHere ? undefined : await client.findFile(filename, since);
      if (fileId === undefined) {
        const file = memory.file ?? requestsOf(await inputFile(batch, context, client, deps));
        memory.file = undefined;
        fileId = await client.uploadFile(filename, file.content);
        log.info({ file_id: fileId, requests: file.requests }, 'batch file uploaded');
      } else {
        log.info({ file_id: fileId }, 'batch file found at the provider: not uploaded again');
      }
      await record({ state: 'uploaded', input_file_id: fileId });
      return 'go';
    }
    case 'uploaded':
      await record({ state: 'creating' });
      return 'go';
    case 'creating': {
      let created = memory.stateEnteredHere
        ? undefined
        : await client.findBatch(BATCH_TAG, batch.uid, since);
      if (created) {
        log.info({ batch_id: created.id }, 'provider batch found: not created again');
      } else {
        created = await client.createBatch(batch.input_file_id!, { [BATCH_TAG]: batch.uid });
        deps.metrics.batches.inc({ model_id: String(batch.model_id), event: 'created' });
        log.info({ batch_id: created.id }, 'provider batch created');
      }
      await record({
        state: 'submitted',
        provider_batch_id: created.id,
        provider_status: created.status,
        provider_total: created.counts.total,
        provider_completed: created.counts.completed,
        provider_failed: created.counts.failed,
        next_check_in_s: deps.pollSeconds,
      });
      return 'wait';
    }
    case 'submitted': {
      const seen = await client.retrieveBatch(batch.provider_batch_id!);
      const counts = {
        provider_status: seen.status,
        provider_total: seen.counts.total,
        provider_completed: seen.counts.completed,
        provider_failed: seen.counts.failed,
      };
      if (!FINAL_BATCH_STATUSES.has(seen.status)) {
        await record({ ...counts, next_check_in_s: deps.pollSeconds });
        return 'wait';
      }
      deps.metrics.batches.inc({ model_id: String(batch.model_id), event: seen.status });
      if (seen.status === 'completed') {
        await record({
          ...counts,
          state: 'ingesting',
          output_file_id: seen.outputFileId,
          error_file_id: seen.errorFileId,
        });
      } else {
        log.warn({ status: seen.status }, 'provider batch ended unfinished: rows go online');
        await record({ ...counts, state: 'returning', error: `provider batch ${seen.status}` });
      }
      return 'go';
    }
    case 'ingesting': {
      log.info({ output_file_id: batch.output_file_id }, 'provider batch output: storing');
      const rows = await batchRows(deps.db, batch);
      const output = batch.output_file_id ? await client.fileLines(batch.output_file_id) : [];
      const inserted = await ingestBatchOutput(batch, rows, output, context, deps);
      deps.metrics.lines.inc({ model_id: String(batch.model_id), outcome: 'stored' }, inserted);
      log.info({ inserted, lines: rows.length }, 'provider batch output stored');
      await record({ state: 'returning', ingested: inserted });
      return 'go';
    }
    case 'done':
    case 'cancelled':
      return 'wait';
  }
}

/**
 * Builds the input file from the rows assigned: rows past the byte limit go back to
 * pending (the next batch takes them), rows whose prompt cannot render are stored as
 * failed; then the upload is recorded as about to happen.
 */
async function prepare(
  batch: ProviderBatchRecord,
  context: JobContext,
  client: BatchClient,
  deps: BatchStepDeps,
  record: Record,
): Promise<StepMemory['file']> {
  const file = await inputFile(batch, context, client, deps);
  const owner = batchOwner(batch.batch_key);
  if (file.overflow.length > 0) {
    await releaseClaims(deps.db, owner, batchClaims(batch, file.overflow));
  }
  if (file.unrenderable.length > 0) {
    await finishRows(
      deps.db,
      owner,
      file.unrenderable.map(({ row, problem }) =>
        failedRow(
          {
            row_id: row.row_id,
            model_id: batch.model_id,
            prompt_id: batch.prompt_id,
            claim_attempt: row.claim_attempt,
            dataset_id: batch.dataset_id,
            formatted_prompt: context.prompt.template,
            attempts: 0,
            prediction_time: 0,
          },
          // Stored as an online call stores the same row (row-call.ts).
          renderFailure(context.model, problem),
          context.grading.version,
        ),
      ),
    );
  }
  if (file.included.length === 0) {
    await record({ state: 'done', request_count: 0, next_check_in_s: 0 });
    return undefined;
  }
  await record({
    state: 'uploading',
    request_count: file.included.length,
    input_bytes: file.bytes,
  });
  return requestsOf(file);
}

/**
 * The input file of the rows the batch holds. Built again after a crash before the
 * upload, it has the requests prepare() built: the rows prepare() released or stored as
 * failed are no longer the batch's.
 */
async function inputFile(
  batch: ProviderBatchRecord,
  context: JobContext,
  client: BatchClient,
  deps: BatchStepDeps,
): Promise<BatchFile> {
  const rows = await batchRows(deps.db, batch);
  return buildBatchFile(rows, context, client, context.model.settings.batchMaxBytes);
}

/** What the upload needs of a file (its rows are not kept until then). */
function requestsOf(file: BatchFile): NonNullable<StepMemory['file']> {
  return { content: file.content, requests: file.included.length };
}

/**
 * Deletes a batch's files (input, output, error; null: none) at the provider: they hold
 * the evaluation's prompts and answers, and the provider keeps (and may bill) them until
 * deleted. Done once every row is stored or back with the workers, or when the job is
 * cancelled, and before that step is recorded, so a worker that dies meanwhile leaves it
 * to the next (a file already gone counts as deleted). A deletion that fails is logged,
 * not retried: the files are a leftover then, not a loss.
 */
async function deleteBatchFiles(
  fileIds: readonly (string | null)[],
  client: BatchClient,
  log: Logger,
): Promise<void> {
  for (const fileId of new Set(fileIds)) {
    if (fileId === null) continue;
    try {
      await client.deleteFile(fileId);
    } catch (error) {
      log.warn(
        { err: errorSummary(error), file_id: fileId },
        'could not delete a batch file at the provider; it stays there',
      );
    }
  }
}

/** Hands the rows the batch still holds to this worker's online calls; returns how many. */
async function returnOnline(
  batch: ProviderBatchRecord,
  context: JobContext,
  deps: BatchStepDeps,
): Promise<number> {
  const rows = await moveBatchRowsToWorker(deps.db, batch, deps.workerId);
  if (rows.length === 0) return 0;
  const log = deps.log.child({
    model_id: batch.model_id,
    prompt_id: batch.prompt_id,
    dataset_id: batch.dataset_id,
  });
  deps.callOnline(
    rows.map((row) => ({
      claim: {
        row_id: row.row_id,
        model_id: batch.model_id,
        prompt_id: batch.prompt_id,
        claim_attempt: row.claim_attempt,
      },
      datasetId: batch.dataset_id,
      row: { content: row.content, expected: row.expected_prediction, input: row.input ?? {} },
      context,
      // No permit was taken with these rows: the first call asks for one.
      firstPermit: { granted: 0, waitMs: 0, permits: [] },
      // Its line in the batch was a request too (an error line, or a batch that failed).
      earlierCalls: 1,
      log,
    })),
  );
  return rows.length;
}

/**
 * The job was cancelled: its provider batch is cancelled (found first if unrecorded),
 * and its files deleted at the provider: the input file with the job's prompts, and the
 * output and error files if the provider has written them by then. A provider that
 * takes a while to cancel (OpenAI: up to minutes, `cancelling`) may write a partial
 * output file later; that one is not known here and stays.
 */
async function cancel(
  batch: ProviderBatchRecord,
  client: BatchClient | undefined,
  record: Record,
  deps: BatchStepDeps,
  log: Logger,
): Promise<void> {
  let batchId = batch.provider_batch_id;
  if (batchId === null && batch.state === 'creating' && client) {
    const since = Math.floor(batch.created_at.getTime() / 1000) - FIND_SLACK_SECONDS;
    batchId = (await client.findBatch(BATCH_TAG, batch.uid, since))?.id ?? null;
  }
  let cancelled: ProviderBatch | undefined;
  if (batchId !== null && client) {
    try {
      cancelled = await client.cancelBatch(batchId);
      log.info({ batch_id: batchId, status: cancelled.status }, 'provider batch cancelled');
    } catch (error) {
      // A batch that already ended cannot be cancelled: nothing left to stop.
      if (!(error instanceof ProviderError) || error.retryable) throw error;
      log.info({ batch_id: batchId, err: error.message }, 'provider batch had already ended');
    }
  }
  if (client) {
    const files = [
      cancelled?.inputFileId ?? batch.input_file_id,
      cancelled?.outputFileId ?? batch.output_file_id,
      cancelled?.errorFileId ?? batch.error_file_id,
    ];
    await deleteBatchFiles(files, client, log);
  }
  deps.metrics.batches.inc({ model_id: String(batch.model_id), event: 'cancelled' });
  await record({
    state: 'cancelled',
    ...(batchId === null ? {} : { provider_batch_id: batchId }),
    next_check_in_s: 0,
  });
}
