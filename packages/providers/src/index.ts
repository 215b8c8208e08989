export * from './client-kind.js';
export * from './model-config.js';
