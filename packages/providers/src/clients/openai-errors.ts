import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { errorFromStatus, rootMessage } from '../classify-error.js';
import { ProviderError } from '../provider-error.js';

/**
 * What an error the openai SDK threw means for evalq (a timeout, a network failure, or
 * the provider's status with its own message), for chat completions and the Batch API
 * alike; undefined for anything that is not the SDK's.
 */
export function classifyOpenAIError(thrown: unknown): ProviderError | undefined {
  if (thrown instanceof APIConnectionTimeoutError) {
    return new ProviderError('timeout', 'the request timed out', { cause: thrown });
  }
  if (thrown instanceof APIConnectionError) {
    return new ProviderError('network', rootMessage(thrown), { cause: thrown });
  }
  if (isApiError(thrown) && typeof thrown.status === 'number') {
    const headers = thrown.headers;
    return errorFromStatus(
      thrown.status,
      providerMessage(thrown),
      (name) => headers?.get(name) ?? undefined,
      thrown,
    );
  }
  return undefined;
}

/** `instanceof` alone would type the error's status and headers as `any`. */
function isApiError(thrown: unknown): thrown is APIError {
  return thrown instanceof APIError;
}

/** The provider's own message without the SDK's "400 " prefix. */
function providerMessage(error: APIError): string {
  const body: { message?: unknown } | undefined = error.error;
  if (body && typeof body.message === 'string' && body.message) return body.message;
  return error.message.replace(/^\d{3}\s+/, '');
}
