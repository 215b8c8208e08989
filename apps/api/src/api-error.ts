import { EvalqError } from '@evalq/core';

/** An HTTP-level refusal the API makes itself: 401, 413, 415. */
export class ApiError extends EvalqError {
  readonly statusCode: number;

  constructor(statusCode: number, code: string, message: string, details?: unknown) {
    super(code, message, { details });
    this.statusCode = statusCode;
  }
}

export const unauthorized = (message: string) => new ApiError(401, 'UNAUTHORIZED', message);

export const payloadTooLarge = (limitBytes: number) =>
  new ApiError(
    413,
    'PAYLOAD_TOO_LARGE',
    `the request body is larger than this route accepts (${limitBytes} bytes)`,
    { limit_bytes: limitBytes },
  );

export const unsupportedMediaType = (got: string | undefined, accepted: string[]) =>
  new ApiError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `content type ${got ? JSON.stringify(got) : '(none)'} is not accepted here; send one of ${accepted.join(', ')}`,
    { accepted },
  );

export const gone = (message: string) => new ApiError(410, 'GONE', message);
