import { EvalqError } from '@evalq/core';

/**
 * Why a provider call failed, as a stable word the worker (and the predictions table)
 * can branch on. Whether a kind is worth retrying is fixed here, in one table.
 */
export const PROVIDER_ERROR_KINDS = {
  /** 400, 422 and other 4xx: the request itself is wrong; sending it again cannot help. */
  bad_request: false,
  /** 404: the provider knows no such model (or endpoint); every call to it fails the same way. */
  not_found: false,
  /** 401, 403: the key is missing, wrong or not allowed to use this model. */
  auth: false,
  /** The model's settings cannot work (missing API-key variable, bad config). */
  config: false,
  /** 429: the provider asks us to slow down; `retryAfterMs` says for how long when it said so. */
  rate_limited: true,
  /** 408 or no answer within `timeout_ms`. */
  timeout: true,
  /** 409: a conflicting request; OpenAI documents it as retryable. */
  conflict: true,
  /** 5xx. */
  server: true,
  /** The connection failed (refused, reset, DNS). */
  network: true,
  /** The provider answered 2xx with something that is not a completion. */
  invalid_response: true,
  /** The worker is shutting down and gave up on the call; not a result. */
  aborted: false,
} as const satisfies Record<string, boolean>;

export type ProviderErrorKind = keyof typeof PROVIDER_ERROR_KINDS;

export interface ProviderErrorOptions {
  status?: number;
  retryAfterMs?: number;
  cause?: unknown;
}

/** A provider call failed. `kind` is stable; `message` is for a person and never holds a key. */
export class ProviderError extends EvalqError {
  declare readonly code: 'PROVIDER_ERROR';
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  /** The HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** How long the provider asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super('PROVIDER_ERROR', message, {
      cause: options.cause,
      details: { kind, status: options.status },
    });
    this.kind = kind;
    this.retryable = PROVIDER_ERROR_KINDS[kind];
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** `server (HTTP 503): upstream unavailable` — what is stored in predictions.error. */
  describe(): string {
    const status = this.status === undefined ? '' : ` (HTTP ${this.status})`;
    return `${this.kind}${status}: ${this.message}`;
  }
}
