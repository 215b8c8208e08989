import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from '@evalq/core';
import type { Database } from '@evalq/db';
import type { RunJobData } from '@evalq/queue';
import type { ApiConfig } from './config.js';
import type { ProgressFeed } from './events/progress-feed.js';
import type { ApiMetrics } from './metrics/api-metrics.js';
import type { ProgressCache } from './progress-cache.js';

/** What every route plugin is given: connections, settings and the shared services. */
export interface ApiContext {
  db: Kysely<Database>;
  pool: pg.Pool;
  /** Both undefined in queue-less mode (docs/local-mode.md). */
  redis: Redis | undefined;
  queue: Queue<RunJobData> | undefined;
  config: Readonly<ApiConfig>;
  logger: Logger;
  feed: ProgressFeed;
  /** Single-job progress reads, shared by the pollers of a job for a few ms. */
  progressCache: ProgressCache;
  metrics: ApiMetrics;
}
