import { afterAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

let api: TestApi | undefined;
afterAll(async () => {
  await api?.close();
});

describe('stopping the API', () => {
  it('answers a request in flight in full, then stops without waiting out the grace period', async () => {
    // A grace period longer than the test's own timeout: were the server to keep the
    // answered keep-alive connection until the grace ends, this test would time out.
    api = await startTestApi({ config: { shutdownGraceMs: 120_000 } });
    const dataset = await api.post('/v1/datasets', { name: 'in flight' });
    const id = dataset.body.dataset_id as number;

    // An upload that is still arriving when the server is told to stop.
    let send!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => void (send = controller),
    });
    const line = (n: number) =>
      new TextEncoder().encode(
        `${JSON.stringify({ content: `row ${n}`, expected_prediction: 'x' })}\n`,
      );
    const arrived = new Promise<void>((resolve) =>
      api!.server.server.once('request', () => resolve()),
    );
    send.enqueue(line(1));
    const upload = api.request('POST', `/v1/datasets/${id}/rows`, {
      raw: body,
      contentType: 'application/x-ndjson',
    });
    await arrived;

    const closed = api.close();
    send.enqueue(line(2));
    send.close();
    const answer = await upload;
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ imported: 2, row_count: 2 });
    await closed;
  });
});
