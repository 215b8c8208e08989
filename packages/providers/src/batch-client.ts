import type { CompletionRequest } from './model-client.js';

/** A provider batch as evalq needs it (OpenAI's Batch API and the providers that copy it). */
export interface ProviderBatch {
  id: string;
  /** validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled */
  status: string;
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string>;
}

/** Provider statuses after which a batch changes no more. */
export const FINAL_BATCH_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'expired',
  'cancelled',
]);

/**
 * A model's Batch API (docs/batch.md). Every method throws a ProviderError on failure.
 * `findFile` and `findBatch` look for something uploaded or created by a call whose
 * answer was lost (the worker died): evalq names files and tags batches so they can be
 * found again instead of being paid for twice.
 */
export interface BatchClient {
  /** One line of a batch input file (without its newline): the request as sent online. */
  requestLine(customId: string, request: Pick<CompletionRequest, 'messages' | 'sampling'>): string;
  uploadFile(filename: string, content: string): Promise<string>;
  /** The id of a batch input file with this name uploaded at or after `sinceSeconds`. */
  findFile(filename: string, sinceSeconds: number): Promise<string | undefined>;
  createBatch(inputFileId: string, metadata: Record<string, string>): Promise<ProviderBatch>;
  /** A batch created at or after `sinceSeconds` whose metadata has `key` = `value`. */
  findBatch(key: string, value: string, sinceSeconds: number): Promise<ProviderBatch | undefined>;
  retrieveBatch(batchId: string): Promise<ProviderBatch>;
  cancelBatch(batchId: string): Promise<ProviderBatch>;
  /**
   * A file's lines (an output or error file), read from the provider as they are used:
   * an output file can be far larger than a worker's heap. A download that breaks
   * mid-way throws from the iteration.
   */
  fileLines(fileId: string): Promise<AsyncIterable<string>>;
  /** Deletes a file at the provider; one already gone counts as deleted. */
  deleteFile(fileId: string): Promise<void>;
}
