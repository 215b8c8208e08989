import { ProviderError, type ProviderErrorKind } from './provider-error.js';

/** Reads one response header, whatever the header container is. */
export type HeaderLookup = (name: string) => string | null | undefined;

/** The longest wait a provider may impose through Retry-After; anything longer is capped. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * The error kind of an HTTP status. 400/401/403/404/422 (and any other 4xx) fail at
 * once; 408, 409, 429 and 5xx are retried.
 */
export function kindOfStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  if (status >= 400) return 'bad_request';
  return 'invalid_response';
}

/**
 * How long a response asks the caller to wait, in milliseconds: `retry-after-ms`
 * (OpenAI's precise form) first, then `Retry-After` as seconds or as an HTTP date.
 * Undefined when absent or unreadable; capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(header: HeaderLookup, now = Date.now()): number | undefined {
  const precise = header('retry-after-ms');
  if (precise != null && precise.trim() !== '') {
    const ms = Number(precise);
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  }
  const value = header('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/** A ProviderError for an HTTP error response. */
export function errorFromStatus(
  status: number,
  message: string,
  header: HeaderLookup = () => undefined,
  cause?: unknown,
): ProviderError {
  const kind = kindOfStatus(status);
  return new ProviderError(kind, message || `HTTP ${status}`, {
    status,
    retryAfterMs: parseRetryAfter(header),
    cause,
  });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** True for a failure to reach the server (anywhere in the error's cause chain). */
export function isNetworkError(thrown: unknown): boolean {
  let current: unknown = thrown;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (current instanceof TypeError && /fetch failed|terminated/i.test(current.message)) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/** The innermost message of an error chain, which usually names the real problem. */
export function rootMessage(thrown: unknown): string {
  let current: unknown = thrown;
  let message = thrown instanceof Error ? thrown.message : String(thrown);
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}
