export type { Database } from './database.js';
export * from './tables/datasets.js';
export * from './tables/jobs.js';
export * from './tables/models.js';
export * from './tables/prediction-status.js';
export * from './tables/predictions.js';
export * from './tables/prompts.js';
export * from './tables/rows.js';
export * from './tables/runs.js';
export * from './tables/response-cache.js';
export { createDb, createPool, POOL_DEFAULTS, type PoolOptions } from './pool.js';
export {
  DEFAULT_MIGRATIONS_DIR,
  migrate,
  redactUrl,
  type MigrateOptions,
  type MigrateResult,
} from './migrate.js';
export { MigrationError, type MigrationErrorCode } from './migration-error.js';
export * from './queries/claims.js';
export * from './queries/worker-jobs.js';
export { retryOnDeadlock, type RetryOptions } from './transaction-retry.js';
export * from './postgres-errors.js';
export * from './queries/datasets.js';
export * from './queries/rows.js';
export * from './queries/row-variables.js';
export * from './queries/models.js';
export * from './queries/prompts.js';
export * from './queries/prompt-labels.js';
export * from './queries/jobs.js';
export * from './queries/runs.js';
export * from './queries/share-links.js';
export * from './queries/job-stats.js';
export * from './queries/predictions.js';
export * from './queries/leaderboard.js';
export * from './queries/health.js';
export { probeDatabaseServer, type ServerProbe } from './server-probe.js';
export * from './queries/call-limits.js';
export * from './queries/job-announcements.js';
export * from './queries/paired-verdicts.js';
export * from './queries/label-pairs.js';
export * from './queries/regrades.js';
export * from './queries/disagreeing-rows.js';
export * from './queries/prediction-grid.js';
export * from './queries/budgets.js';
export * from './queries/response-cache.js';
export * from './queries/spend-stats.js';
export * from './queries/provider-batches.js';
