export { createApiServer, type ApiDependencies, type ApiServer } from './server.js';
export { startApi, type RunningApi } from './start-api.js';
export { runApiUntilSignalled } from './run-until-signalled.js';
export { API_DEFAULTS, apiConfigFromEnv, type ApiConfig } from './config.js';
export { toProgress, type Progress } from './progress.js';
export { assertSafeExposure, isLoopback } from './exposure.js';
