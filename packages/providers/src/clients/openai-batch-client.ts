import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { toFile, type OpenAI } from 'openai';
import type { Environment } from '../api-key.js';
import type { BatchClient, ProviderBatch } from '../batch-client.js';
import { sharedKeepAliveFetch, type FetchFunction } from '../keep-alive-fetch.js';
import type { ModelConfig } from '../model-config.js';
import { ProviderError } from '../provider-error.js';
import { classifyOpenAIError } from './openai-errors.js';
import { chatCompletionBody, openAISdkFor } from './openai-sdk.js';

export interface OpenAIBatchClientOptions {
  model: string;
  config: ModelConfig;
  env: Environment;
  fetch?: FetchFunction;
}

const ENDPOINT = '/v1/chat/completions';

/** OpenAI's Files and Batch APIs through the official SDK, for one model's config. */
export function createOpenAIBatchClient(options: OpenAIBatchClientOptions): BatchClient {
  const { model, config } = options;
  const sdk = openAISdkFor(config, options.env, options.fetch ?? sharedKeepAliveFetch());
  // Downloads go through a fetch that streams the body (the keep-alive fetch reads each
  // answer whole before handing it over, right for a chat completion, not for a file).
  const downloads = openAISdkFor(config, options.env, options.fetch ?? fetch);

  async function call<T>(run: (openai: OpenAI) => Promise<T>, client = sdk): Promise<T> {
    try {
      return await run(client());
    } catch (thrown) {
      throw (
        classifyOpenAIError(thrown) ??
        new ProviderError('invalid_response', (thrown as Error).message, { cause: thrown })
      );
    }
  }

  return {
    requestLine(customId, request) {
      return JSON.stringify({
        custom_id: customId,
        method: 'POST',
        url: ENDPOINT,
        body: chatCompletionBody(model, config, request),
      });
    },
    uploadFile: (filename, content) =>
      call(async (openai) => {
        const file = await openai.files.create({
          file: await toFile(Buffer.from(content, 'utf8'), filename),
          purpose: 'batch',
        });
        return file.id;
      }),
    findFile: (filename, sinceSeconds) =>
      call(async (openai) => {
        for await (const file of openai.files.list({ purpose: 'batch', order: 'desc' })) {
          if (file.created_at < sinceSeconds) return undefined;
          if (file.filename === filename) return file.id;
        }
        return undefined;
      }),
    createBatch: (inputFileId, metadata) =>
      call(async (openai) =>
        toProviderBatch(
          await openai.batches.create({
            input_file_id: inputFileId,
            endpoint: ENDPOINT,
            completion_window: '24h',
            metadata,
          }),
        ),
      ),
    findBatch: (key, value, sinceSeconds) =>
      call(async (openai) => {
        for await (const batch of openai.batches.list({ limit: 100 })) {
          if (batch.created_at < sinceSeconds) return undefined;
          if (batch.metadata?.[key] === value) return toProviderBatch(batch);
        }
        return undefined;
      }),
    retrieveBatch: (batchId) =>
      call(async (openai) => toProviderBatch(await openai.batches.retrieve(batchId))),
    cancelBatch: (batchId) =>
      call(async (openai) => toProviderBatch(await openai.batches.cancel(batchId))),
    fileLines: async (fileId) => {
      const response = await call((openai) => openai.files.content(fileId), downloads);
      const body = response.body
        ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)
        : Readable.from([]);
      return createInterface({ input: body, crlfDelay: Infinity });
    },
    deleteFile: async (fileId) => {
      try {
        await call((openai) => openai.files.delete(fileId));
      } catch (error) {
        // Deleted already (by an earlier attempt whose answer was lost, or by a person).
        if (error instanceof ProviderError && error.kind === 'not_found') return;
        throw error;
      }
    },
  };
}

function toProviderBatch(batch: OpenAI.Batches.Batch): ProviderBatch {
  return {
    id: batch.id,
    status: batch.status,
    inputFileId: batch.input_file_id,
    outputFileId: batch.output_file_id ?? null,
    errorFileId: batch.error_file_id ?? null,
    counts: {
      total: batch.request_counts?.total ?? 0,
      completed: batch.request_counts?.completed ?? 0,
      failed: batch.request_counts?.failed ?? 0,
    },
    metadata: { ...(batch.metadata ?? {}) },
  };
}
