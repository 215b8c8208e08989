import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireCallPermits,
  JOB_ANNOUNCEMENTS_CHANNEL,
  parseJobAnnouncement,
  pauseModelCalls,
  refundCallSlots,
  releaseCallPermits,
  type CallPermitRequest,
} from '@evalq/db';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';

// Queue-less mode's SQL (migrations/0011_queueless_wakeups_and_call_limits.sql), driven
// directly: the call limits every worker shares, and the announcements of runnable jobs.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function newModel(): Promise<number> {
  const [model] = await t.query<{ model_id: number }>(
    `INSERT INTO models (name, source) VALUES ('m', 'mock') RETURNING model_id`,
  );
  return model!.model_id;
}

const request = (modelId: number, changes: Partial<CallPermitRequest>): CallPermitRequest => ({
  modelId,
  wanted: 1,
  maxInFlight: 0,
  intervalMs: 0,
  burstMs: 0,
  permitTtlMs: 60_000,
  ...changes,
});

describe('call permits', () => {
  it('grants at most max_in_flight permits until some are released', async () => {
    const model = await newModel();
    const limited = request(model, { wanted: 5, maxInFlight: 2 });
    const first = await acquireCallPermits(t.db, limited);
    expect(first).toMatchObject({ granted: 2, reason: null });
    expect(first.permitIds).toHaveLength(2);
    expect(await acquireCallPermits(t.db, limited)).toMatchObject({
      granted: 0,
      waitMs: -1,
      reason: 'concurrency',
    });
    await releaseCallPermits(t.db, first.permitIds.slice(0, 1));
    expect((await acquireCallPermits(t.db, limited)).granted).toBe(1);
  });

  it('lets the permits of a worker that never releases them expire', async () => {
    const model = await newModel();
    const limited = request(model, { maxInFlight: 1, permitTtlMs: 300 });
    const takenAt = Date.now();
    expect((await acquireCallPermits(t.db, limited)).granted).toBe(1);
    // The holder is gone: nobody releases it. The next grant comes once it expired.
    for (;;) {
      const grant = await acquireCallPermits(t.db, limited);
      if (grant.granted === 1) break;
      expect(grant.reason).toBe('concurrency');
      expect(Date.now() - takenAt).toBeLessThan(30_000);
      await sleep(50);
    }
    expect(Date.now() - takenAt).toBeGreaterThanOrEqual(300);
  });

  it('spaces call starts by the rate limit, and says when the next one may start', async () => {
    const model = await newModel();
    // 60 requests per minute: one start per second, no burst.
    const paced = request(model, { wanted: 3, intervalMs: 1000 });
    expect((await acquireCallPermits(t.db, paced)).granted).toBe(1);
    const refused = await acquireCallPermits(t.db, paced);
    expect(refused.granted).toBe(0);
    expect(refused.reason).toBe('rate');
    expect(refused.waitMs).toBeGreaterThan(0);
    expect(refused.waitMs).toBeLessThanOrEqual(1000);
  });

  it('takes unused starts back only while no start was granted after them', async () => {
    const model = await newModel();
    // 60 requests per minute: one start per second, no burst.
    const paced = request(model, { intervalMs: 1000 });
    const latest = await acquireCallPermits(t.db, paced);
    expect(latest.granted).toBe(1);
    expect(latest.rateMark).not.toBeNull();
    // Given back while it is the latest grant: the next start may come at once.
    await refundCallSlots(t.db, model, 1, 1000, latest.rateMark!);
    const again = await acquireCallPermits(t.db, paced);
    expect(again.granted).toBe(1);
    // A worker holds `again` while another is granted the start after it.
    let after = await acquireCallPermits(t.db, paced);
    while (after.granted === 0) {
      await sleep(after.waitMs + 5);
      after = await acquireCallPermits(t.db, paced);
    }
    // Giving `again` back now would hand the later start's slot out twice: refused.
    await refundCallSlots(t.db, model, 1, 1000, again.rateMark!);
    const refused = await acquireCallPermits(t.db, paced);
    expect(refused).toMatchObject({ granted: 0, reason: 'rate' });
    expect(refused.waitMs).toBeGreaterThan(500);
  });

  it('pauses a model for everyone, and a shorter pause never cuts a longer one short', async () => {
    const model = await newModel();
    await pauseModelCalls(t.db, model, 60_000);
    await pauseModelCalls(t.db, model, 1_000);
    const refused = await acquireCallPermits(t.db, request(model, {}));
    expect(refused).toMatchObject({ granted: 0, reason: 'paused' });
    expect(refused.waitMs).toBeGreaterThan(50_000);
  });
});

describe('announcements of runnable jobs', () => {
  it('announces a job inserted by plain SQL, and one made runnable again, at commit', async () => {
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
    await listener.query(`LISTEN ${JOB_ANNOUNCEMENTS_CHANNEL}`);
    try {
      const model = await newModel();
      const [prompt] = await t.query<{ prompt_id: number }>(
        `INSERT INTO prompts (text) VALUES ('{{content}}') RETURNING prompt_id`,
      );
      const [dataset] = await t.query<{ dataset_id: number }>(
        `INSERT INTO datasets (name) VALUES ('d') RETURNING dataset_id`,
      );
      await t.query(
        `INSERT INTO rows (dataset_id, content, expected_prediction) VALUES ($1, 'x', 'y')`,
        [dataset!.dataset_id],
      );
      const key = `${model}/${prompt!.prompt_id}/${dataset!.dataset_id}`;
      const where = `model_id = ${model} AND prompt_id = ${prompt!.prompt_id} AND dataset_id = ${dataset!.dataset_id}`;

      await t.query(
        `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'pending')`,
        [model, prompt!.prompt_id, dataset!.dataset_id],
      );
      await waitForHeard(heard, 1);
      expect(heard).toEqual([key]);
      expect(parseJobAnnouncement(heard[0])).toEqual({
        model_id: model,
        prompt_id: prompt!.prompt_id,
        dataset_id: dataset!.dataset_id,
      });

      // Progress (the counting trigger's updates) announces nothing; done → running does.
      await t.query(`UPDATE modelpromptstatus SET status = 'done', count = 1 WHERE ${where}`);
      await t.query(`UPDATE modelpromptstatus SET status = 'running' WHERE ${where}`);
      await waitForHeard(heard, 2);
      // A marker after the updates: everything sent before it has arrived.
      await t.query(`SELECT pg_notify($1, 'marker')`, [JOB_ANNOUNCEMENTS_CHANNEL]);
      await waitForHeard(heard, 3);
      expect(heard).toEqual([key, key, 'marker']);
    } finally {
      await listener.end();
    }
  });
});

async function waitForHeard(heard: string[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (heard.length < count && Date.now() < deadline) await sleep(20);
}
