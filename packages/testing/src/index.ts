export * from './test-database.js';
export * from './redis-prefix.js';
export * from './fake-model-server.js';
export * from './worker-process.js';
export * from './process-environment.js';
export { redisUnavailable } from './test-services.js';
export * from './pgbouncer.js';
export * from './backend-sampler.js';
export type { FakeBatch, FakeBatchBehaviour, FakeFile } from './fake-batch-api.js';
