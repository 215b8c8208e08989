import { describe, expect, it } from 'vitest';
import type { JobKey } from '@evalq/core';
import { startFakeOpenAIServer } from '@evalq/testing';
import {
  createJob,
  expectExactlyOnce,
  jobState,
  launchJob,
  useWorkerTestBed,
  waitFor,
  waitForJobDone,
} from './support.js';

// Provider batch mode (docs/batch.md) with real worker processes against the fake
// server's Batch API, through the official openai SDK.

/** The right answer to "What is i + i?", so grading has something to count. */
const sum = (prompt: string): string => {
  const match = /What is (\d+) \+ (\d+)\?/.exec(prompt);
  return match ? String(Number(match[1]) + Number(match[2])) : 'no idea';
};

const bed = useWorkerTestBed('batch-mode', async () => ({
  server: await startFakeOpenAIServer({ respond: sum }),
}));

const BATCH_ENV = { BATCH_POLL_MS: 100 };

async function batchJob(rows: number, perFile = 50): Promise<JobKey> {
  return createJob(bed.t, bed.servers.server.url, rows, {
    model: { library: 'openai', config: { dispatch: 'batch', batch_max_requests: perFile } },
  });
}

const rowOf = (customId: string): number => Number(customId.split('.')[0]);

describe('a job of a batch-dispatch model', () => {
  it('goes through provider batches within the file limit; error lines are called online; each row stored once and graded', async () => {
    const server = bed.servers.server;
    server.reset();
    server.configure({ batchDelayMs: 300, batchLineFails: (id) => rowOf(id) % 10 === 3 });
    const rows = 120;
    const key = await batchJob(rows);
    const worker = await bed.startWorker('batch-a', BATCH_ENV);
    await launchJob(bed.t, key, bed.queuePrefix);

    await waitForJobDone(bed.t, key, 30_000, () => worker.describe());
    await expectExactlyOnce(bed.t, key, rows);
    // 120 rows, 50 per file: three batches, each created once.
    expect(server.batches.map((b) => b.request_counts.total).sort()).toEqual([20, 50, 50]);
    expect(server.files.filter((f) => f.purpose === 'batch')).toHaveLength(3);
    // Rows 3, 13, …: their lines failed and they were called online, once each.
    const online = server.requests.map((r) => r.prompt);
    const failedRows = await bed.t.query<{ row_id: number }>(
      `SELECT row_id FROM rows WHERE dataset_id = $1 AND row_id % 10 = 3`,
      [key.dataset_id],
    );
    expect(online).toHaveLength(failedRows.length);
    expect(await jobState(bed.t, key)).toMatchObject({ correct: rows, failed: 0 });
    const stored = await bed.t.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM provider_batches GROUP BY state`,
    );
    expect(stored).toEqual([{ state: 'done', n: 3 }]);
    await worker.stop();
  });
});

export { waitFor };
