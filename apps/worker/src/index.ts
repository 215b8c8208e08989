export { parseWorkerConfig, workerConfigEnv, type WorkerConfig } from './config.js';
export { startWorker, type RunningWorker, type StartWorkerOptions } from './worker.js';
export { runWorkerProcess } from './worker-process.js';
export { longestStopMs } from './worker-parts.js';
export {
  hasSharedLimits,
  type CallLimits,
  type Grant,
  type ModelLimits,
} from './limits/call-limits.js';
export { RedisCallLimits } from './limits/redis-call-limits.js';
export type { JobWakeups, JobHint } from './job-wakeups.js';
export { JobRotation, type JobEntry } from './job-rotation.js';
export { CACHED_CLAIM_MAX, withCacheHits } from './cached-claim-size.js';
export { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
export { runStopSteps, type StartStep, type StopStep, type StopReport } from './lifecycle-steps.js';
