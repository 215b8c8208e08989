import { SECOND } from '@evalq/core';

/**
 * While Redis is unreachable every command fails; each part that uses it warns at most
 * once per this interval (through `throttled`), so an outage is a line every 10 s.
 */
export const REDIS_WARNING_INTERVAL_MS = 10 * SECOND;
