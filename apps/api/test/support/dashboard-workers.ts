import { startWorkerProcess, TEST_REDIS_URL, type WorkerProcess } from '@evalq/testing';
import type { TestApi } from './test-api.js';

/**
 * Real worker processes (apps/worker/dist/main.js) on the test API's database and
 * Redis prefix, so jobs launched through the API run as they do in production.
 */
export function startWorkers(
  api: TestApi,
  count: number,
  env: Record<string, string> = {},
): Promise<WorkerProcess[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startWorkerProcess({
        label: `dashboard-worker-${i + 1}`,
        env: {
          DATABASE_URL: api.t.url,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: api.prefix,
          WORKER_ID: `dashboard-worker-${i + 1}`,
          WORKER_CONCURRENCY: '4',
          LEASE_SECONDS: '10',
          SHUTDOWN_GRACE_SECONDS: '5',
          RECONCILE_INTERVAL_MS: '500',
          ...env,
        },
      }),
    ),
  );
}
