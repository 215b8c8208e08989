import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAIBatchClient, type BatchClient } from '@evalq/providers';
import { startFakeOpenAIServer, type FakeModelServer } from '@evalq/testing';

// The Batch API client through the real openai SDK against the fake server's /v1/files
// and /v1/batches: what the worker's batch path relies on.

let server: FakeModelServer;
let batches: BatchClient;
const since = () => Math.floor(Date.now() / 1000) - 60;

beforeAll(async () => {
  server = await startFakeOpenAIServer({ respond: (prompt) => `echo: ${prompt}` });
  batches = createOpenAIBatchClient({
    model: 'gpt-fake',
    config: { base_url: server.url },
    env: {},
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.configure({
    batchDelayMs: 0,
    batchOutcome: 'completed',
    batchLineFails: () => false,
    uploadDelayMs: 0,
    createDelayMs: 0,
  });
});

async function linesOf(fileId: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of await batches.fileLines(fileId)) if (line !== '') lines.push(line);
  return lines;
}

function inputFile(prompts: string[]): string {
  return prompts
    .map((prompt, i) =>
      batches.requestLine(`row-${i}`, { messages: [{ role: 'user', content: prompt }] }),
    )
    .join('\n');
}

describe('fake Batch API through the openai SDK', () => {
  it('runs a batch: upload, create, in progress for its delay, then output and error files by custom_id', async () => {
    server.configure({
      batchDelayMs: 300,
      batchLineFails: (customId) => customId === 'row-1',
    });
    const fileId = await batches.uploadFile('evalq-a.jsonl', inputFile(['one', 'two', 'three']));
    const created = await batches.createBatch(fileId, { evalq_batch: 'a' });
    expect(created).toMatchObject({ status: 'in_progress', inputFileId: fileId });
    expect(created.counts.total).toBe(3);
    expect((await batches.retrieveBatch(created.id)).status).toBe('in_progress');

    await sleep(350);
    const done = await batches.retrieveBatch(created.id);
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: 3, completed: 2, failed: 1 },
      metadata: { evalq_batch: 'a' },
    });
    const output = (await linesOf(done.outputFileId!)).map(
      (line) => JSON.parse(line) as Record<string, any>,
    );
    expect(output.map((line) => line.custom_id)).toEqual(['row-0', 'row-2']);
    expect(output[1]!.response.status_code).toBe(200);
    expect(output[1]!.response.body.choices[0].message.content).toBe('echo: three');
    const errors = await linesOf(done.errorFileId!);
    expect(errors.map((line) => (JSON.parse(line) as { custom_id: string }).custom_id)).toEqual([
      'row-1',
    ]);
  });

  it('deletes a file, which is then neither listed nor readable; deleting it again is not an error', async () => {
    const fileId = await batches.uploadFile('evalq-gone.jsonl', inputFile(['bye']));
    await batches.deleteFile(fileId);
    expect(await batches.findFile('evalq-gone.jsonl', since())).toBeUndefined();
    await expect(batches.fileLines(fileId)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(batches.deleteFile(fileId)).resolves.toBeUndefined();
  });

  it('finds an uploaded file by its name and a batch by its metadata (an answer that was lost)', async () => {
    for (let i = 0; i < 25; i += 1) {
      await batches.uploadFile(`other-${i}.jsonl`, inputFile(['x']));
    }
    const fileId = await batches.uploadFile('evalq-b.jsonl', inputFile(['y']));
    for (let i = 0; i < 25; i += 1) await batches.createBatch(fileId, { evalq_batch: `n${i}` });
    const wanted = await batches.createBatch(fileId, { evalq_batch: 'b' });
    for (let i = 0; i < 120; i += 1) await batches.createBatch(fileId, { evalq_batch: `m${i}` });

    expect(await batches.findFile('evalq-b.jsonl', since())).toBe(fileId);
    expect(await batches.findFile('evalq-none.jsonl', since())).toBeUndefined();
    // Older than 'since': not looked at.
    expect(await batches.findFile('evalq-b.jsonl', since() + 3600)).toBeUndefined();
    expect((await batches.findBatch('evalq_batch', 'b', since()))?.id).toBe(wanted.id);
    expect(await batches.findBatch('evalq_batch', 'none', since())).toBeUndefined();
  });

  it('cancels a batch in progress, and ends batches as expired or failed when told to', async () => {
    server.configure({ batchDelayMs: 60_000 });
    const fileId = await batches.uploadFile('evalq-c.jsonl', inputFile(['z']));
    const running = await batches.createBatch(fileId, {});
    expect((await batches.cancelBatch(running.id)).status).toBe('cancelled');
    expect(server.batches[0]!.cancelled).toBe(true);

    server.configure({ batchDelayMs: 0, batchOutcome: 'expired' });
    const expired = await batches.createBatch(fileId, {});
    expect((await batches.retrieveBatch(expired.id)).status).toBe('expired');
  });

  it('answers a lost upload late but keeps the file, and refuses a batch without a batch file', async () => {
    server.configure({ uploadDelayMs: 200 });
    const upload = batches.uploadFile('evalq-d.jsonl', inputFile(['w']));
    await sleep(50);
    expect(server.files.map((file) => file.filename)).toEqual(['evalq-d.jsonl']);
    await upload;
    const sdk = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    await expect(
      sdk.batches.create({
        input_file_id: 'file-missing',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(sdk.batches.retrieve('batch-missing')).rejects.toMatchObject({ status: 404 });
  });
});
