import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRows } from './support/claim-protocol.js';
import { jobPath, seedCatalog, startTestApi, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

interface ServerSentEvent {
  event: string;
  data: any;
}

/** Reads an SSE response as events, until `until` accepts one or the stream ends. */
class EventReader {
  private buffer = '';
  readonly events: ServerSentEvent[] = [];
  readonly comments: string[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  async next(
    until: (event: ServerSentEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<ServerSentEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(until);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no matching event; got ${JSON.stringify(this.events)}`);
      const { value, done } = await this.reader.read();
      if (done) throw new Error('stream ended');
      this.parse(this.decoder.decode(value, { stream: true }));
    }
  }

  /** Resolves when the server ends the stream. */
  async ended(): Promise<void> {
    for (;;) {
      const { done } = await this.reader.read();
      if (done) return;
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }

  private parse(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')) });
    }
  }
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ config: { eventsHeartbeatMs: 200, apiToken: 'events-token-1234' } });
});
afterAll(async () => {
  await api?.close();
});

async function subscribe(target: TestApi, query = ''): Promise<EventReader> {
  const response = await fetch(`${target.url}/v1/events${query}`, {
    headers: { authorization: 'Bearer events-token-1234' },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  return new EventReader(response);
}

describe('GET /v1/events', () => {
  it('sends the current progress, then an event when predictions are stored', async () => {
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 5);
    const key = { model_id, prompt_id, dataset_id };
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });

    const events = await subscribe(api, `?dataset_id=${dataset_id}`);
    const initial = await events.next(
      (e) => e.event === 'progress' && e.data.model_id === model_id,
    );
    expect(initial.data).toMatchObject({ ...key, status: 'pending', done: 0, total: 5 });

    await processRows(api.t, key, 2);
    const moved = await events.next((e) => e.event === 'progress' && e.data.done === 2);
    expect(moved.data).toMatchObject({ ...key, status: 'running', pending: 3 });

    await processRows(api.t, key, 3);
    await events.next((e) => e.event === 'progress' && e.data.status === 'done');

    await api.request('DELETE', jobPath(key));
    const removed = await events.next((e) => e.event === 'removed');
    expect(removed.data).toEqual(key);
    expect(events.comments).toContain(': heartbeat');
    await events.cancel();
  });

  it('only sends jobs matching its filter', async () => {
    const one = await seedCatalog(api, 2);
    const other = await seedCatalog(api, 2);
    for (const c of [one, other]) {
      await api.post('/v1/jobs', {
        dataset_id: c.dataset_id,
        model_ids: [c.model_id],
        prompt_ids: [c.prompt_id],
      });
    }
    const events = await subscribe(api, `?dataset_id=${other.dataset_id}`);
    await processRows(api.t, { ...one, dataset_id: one.dataset_id }, 1);
    await processRows(api.t, { ...other, dataset_id: other.dataset_id }, 1);
    await events.next((e) => e.data.dataset_id === other.dataset_id && e.data.done === 1);
    expect(events.events.every((e) => e.data.dataset_id === other.dataset_id)).toBe(true);
    await events.cancel();
  });

  it('needs the token like every /v1 route', async () => {
    const response = await fetch(`${api.url}/v1/events`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'UNAUTHORIZED',
    );
  });

  it('ends open streams when the server closes', async () => {
    const closing = await startTestApi();
    const response = await fetch(`${closing.url}/v1/events`);
    const events = new EventReader(response);
    const ended = events.ended();
    await closing.close();
    await expect(ended).resolves.toBeUndefined();
  });
});
