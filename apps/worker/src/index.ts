export { parseWorkerConfig, workerConfigEnv, type WorkerConfig } from './config.js';
export { startWorker, type RunningWorker, type StartWorkerOptions } from './worker.js';
export { runWorkerProcess } from './worker-process.js';
export {
  SharedLimits,
  hasSharedLimits,
  type Grant,
  type ModelLimits,
} from './limits/shared-limits.js';
export { JobRotation, type JobEntry } from './job-rotation.js';
export { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
