/**
 * The shapes of the API's answers, as TypeScript types derived from the zod schemas
 * that validate and document them. Type-only: clients (the CLI, the bench) import them
 * as `import type … from '@evalq/api/types'`, which loads nothing of the server.
 */
import type { z } from 'zod';
import type { classification, comparison } from './schemas/comparison.js';
import type { dataset, datasetRow, importResult } from './schemas/datasets.js';
import type { assertionResult } from './schemas/grading.js';
import type { cacheClearResult, cacheStatsResult } from './schemas/cache.js';
import type {
  cancelResult,
  jobKey,
  launchResult,
  progress,
  resumeResult,
  retryResult,
} from './schemas/jobs.js';
import type { model } from './schemas/models.js';
import type { leaderboard, leaderboardEntry, prediction } from './schemas/predictions.js';
import type { prompt } from './schemas/prompts.js';
import type {
  canceledRun,
  revokeResult,
  run,
  runListItem,
  runSummary,
  shareResult,
} from './schemas/runs.js';
import type { sharedRun } from './schemas/share.js';

/** A page of a list: follow `next_cursor` until it is null. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type Dataset = z.output<typeof dataset>;
export type DatasetRow = z.output<typeof datasetRow>;
export type ImportResult = z.output<typeof importResult>;
export type Model = z.output<typeof model>;
export type Prompt = z.output<typeof prompt>;
export type JobKey = z.output<typeof jobKey>;
export type Progress = z.output<typeof progress>;
export type LaunchResult = z.output<typeof launchResult>;
export type CancelResult = z.output<typeof cancelResult>;
export type RetryResult = z.output<typeof retryResult>;
export type ResumeResult = z.output<typeof resumeResult>;
export type CacheStats = z.output<typeof cacheStatsResult>;
export type CacheClearResult = z.output<typeof cacheClearResult>;
export type Prediction = z.output<typeof prediction>;
export type LeaderboardEntry = z.output<typeof leaderboardEntry>;
export type Leaderboard = z.output<typeof leaderboard>;
export type AssertionResult = z.output<typeof assertionResult>;
export type Comparison = z.output<typeof comparison>;
export type ClassificationReport = z.output<typeof classification>;
export type RunListItem = z.output<typeof runListItem>;
export type Run = z.output<typeof run>;
export type RunSummary = z.output<typeof runSummary>;
export type CanceledRun = z.output<typeof canceledRun>;
export type ShareResult = z.output<typeof shareResult>;
export type RevokeResult = z.output<typeof revokeResult>;
export type SharedRun = z.output<typeof sharedRun>;
/** A run as POST /v1/runs answers it. */
export type LaunchedRun = Run & { enqueued: boolean };
