export * from './job-queue.js';
export * from './redis-connection.js';
export * from './redis-probe.js';
