export * from './job-queue.js';
export * from './redis-connection.js';
