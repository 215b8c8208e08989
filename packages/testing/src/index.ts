export * from './test-database.js';
export * from './redis-prefix.js';
