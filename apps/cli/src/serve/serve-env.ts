import { apiEnv, localModeEnv } from '@evalq/core';

/**
 * What `evalq serve` reads: the API's variables, with DATABASE_URL and REDIS_URL
 * optional (unset: the embedded PostgreSQL, queue-less) and EVALQ_HOME. The workers
 * read their own variables from the same environment (docs/worker.md).
 */
export const serveEnv = apiEnv.extend(localModeEnv.shape);
