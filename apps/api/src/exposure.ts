import { isIP } from 'node:net';
import { ConfigError } from '@evalq/core';

/** Whether an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/**
 * The API holds every dataset and launches paid calls: listening beyond this machine
 * without a token would hand both to anyone who can reach the port. Refused at start-up,
 * with both ways out.
 */
export function assertSafeExposure(host: string, apiToken: string | undefined): void {
  if (apiToken !== undefined || isLoopback(host)) return;
  throw new ConfigError(
    `HOST=${host} would let anyone who reaches this machine use the API without a token. ` +
      'Set API_TOKEN (clients then send "Authorization: Bearer <token>"), or listen on this ' +
      'machine only with HOST=127.0.0.1.',
    { details: [{ path: 'HOST', message: 'a non-loopback address requires API_TOKEN' }] },
  );
}
