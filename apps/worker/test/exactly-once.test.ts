import { describe, expect, it } from 'vitest';
import { startFakeOllamaServer, startFakeOpenAIServer } from '@evalq/testing';
import {
  createDataset,
  createModel,
  createPrompt,
  expectExactlyOnce,
  launchJob,
  QUEUE_MODES,
  useWorkerTestBed,
  waitForJobDone,
} from './support.js';

// Three worker processes share one 500-row dataset launched for two models (one behind
// the openai SDK, one behind the ollama SDK): every (row, model, prompt) gets exactly one
// prediction, the counters are right, and the work is spread over all three workers.

describe.each(QUEUE_MODES)('with wake-ups and limits through %s', (queue) => {
  const bed = useWorkerTestBed(
    'exactly-once',
    async () => ({
      openai: await startFakeOpenAIServer({
        latencyMs: 3,
        respond: (prompt) => `openai:${prompt.length}`,
      }),
      ollama: await startFakeOllamaServer({
        latencyMs: 3,
        respond: (prompt) => `ollama:${prompt.length}`,
      }),
    }),
    queue,
  );

  describe('three bed.workers, one 500-row dataset, two models', () => {
    it('stores exactly one prediction per row, model and prompt, and finishes both jobs', async () => {
      const rows = 500;
      const dataset_id = await createDataset(bed.t, rows);
      const prompt_id = await createPrompt(bed.t, 'Q: {{content}}');
      const a = {
        model_id: await createModel(bed.t, {
          name: 'gpt-fake',
          source: 'openai',
          config: { base_url: bed.servers.openai.url },
        }),
        prompt_id,
        dataset_id,
      };
      const b = {
        model_id: await createModel(bed.t, {
          name: 'llama-fake',
          source: 'ollama',
          config: { base_url: bed.servers.ollama.url },
        }),
        prompt_id,
        dataset_id,
      };
      await Promise.all(
        ['w1', 'w2', 'w3'].map((id) => bed.startWorker(id, { WORKER_CONCURRENCY: 6 })),
      );
      await launchJob(bed.t, a, bed.queuePrefix);
      await launchJob(bed.t, b, bed.queuePrefix);

      const describe = () => bed.workers.map((w) => w.describe()).join('\n');
      expect(await waitForJobDone(bed.t, a, 60_000, describe)).toMatchObject({
        count: rows,
        total: rows,
        failed: 0,
      });
      expect(await waitForJobDone(bed.t, b, 60_000, describe)).toMatchObject({
        count: rows,
        total: rows,
        failed: 0,
      });
      await expectExactlyOnce(bed.t, a, rows);
      await expectExactlyOnce(bed.t, b, rows);

      // The text sent is stored, as the server saw it, with the server's token counts.
      const sample = await bed.t.query<{
        formatted_prompt: string;
        prediction: string;
        prompt_tokens: number;
      }>(
        `SELECT p.formatted_prompt, p.prediction, p.prompt_tokens FROM predictions p JOIN rows r USING (row_id)
         WHERE p.model_id = $1 AND r.content = 'What is 7 + 7?'`,
        [b.model_id],
      );
      expect(sample).toEqual([
        { formatted_prompt: 'Q: What is 7 + 7?', prediction: 'ollama:17', prompt_tokens: 6 },
      ]);
      expect(bed.servers.openai.requests.filter((r) => r.status === 200)).toHaveLength(rows);
      expect(bed.servers.ollama.requests.filter((r) => r.status === 200)).toHaveLength(rows);

      // One large job spreads over every running worker.
      const byWorker = await bed.t.query<{ claimed_by: string; n: number }>(
        `SELECT claimed_by, count(*)::int AS n FROM predictionstatus WHERE dataset_id = $1 GROUP BY claimed_by ORDER BY 1`,
        [dataset_id],
      );
      expect(byWorker.map((r) => r.claimed_by)).toEqual(['w1', 'w2', 'w3']);
      for (const { n } of byWorker) expect(n).toBeGreaterThan(50);

      for (const worker of bed.workers)
        expect(await worker.stop()).toEqual({ code: 0, signal: null });
    });
  });
});
