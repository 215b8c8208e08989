import { describe, expect, it } from 'vitest';
import {
  errorFromStatus,
  isNetworkError,
  kindOfStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  ProviderError,
} from '@evalq/providers';

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];

describe('error classification', () => {
  it.each([
    [400, 'bad_request', false],
    [401, 'auth', false],
    [403, 'auth', false],
    [404, 'not_found', false],
    [422, 'bad_request', false],
    [408, 'timeout', true],
    [409, 'conflict', true],
    [429, 'rate_limited', true],
    [500, 'server', true],
    [502, 'server', true],
    [503, 'server', true],
    [529, 'server', true],
  ] as const)('HTTP %i is %s (retryable: %s)', (status, kind, retryable) => {
    expect(kindOfStatus(status)).toBe(kind);
    const error = errorFromStatus(status, 'boom');
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(status);
    expect(error.describe()).toBe(`${kind} (HTTP ${status}): boom`);
  });

  it('marks configuration problems and shutdown aborts as not retryable', () => {
    expect(new ProviderError('config', 'x').retryable).toBe(false);
    expect(new ProviderError('aborted', 'x').retryable).toBe(false);
    expect(new ProviderError('network', 'x').retryable).toBe(true);
    expect(new ProviderError('timeout', 'x').retryable).toBe(true);
  });

  it('recognises connection failures anywhere in the cause chain', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(isNetworkError(refused)).toBe(true);
    expect(isNetworkError(new TypeError('fetch failed', { cause: refused }))).toBe(true);
    expect(
      isNetworkError(new Error('wrapped', { cause: new Error('deeper', { cause: refused }) })),
    ).toBe(true);
    expect(isNetworkError(new Error('something else'))).toBe(false);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads seconds, HTTP dates and retry-after-ms (which wins)', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now)).toBe(
      7000,
    );
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(
      250,
    );
  });

  it('ignores absent or unreadable values, clamps past dates to 0 and caps long waits', () => {
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(
      0,
    );
    expect(parseRetryAfter(headers({ 'retry-after': '86400' }), now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('is carried by the error of a 429', () => {
    const error = errorFromStatus(429, 'slow down', headers({ 'retry-after': '2' }));
    expect(error.retryAfterMs).toBe(2000);
    expect(error.retryable).toBe(true);
  });
});
