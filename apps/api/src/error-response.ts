import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ConflictError, EvalqError, NotFoundError, ValidationError } from '@evalq/core';
import { isDataException, isServerUnavailable, sqlState, SQLSTATE } from '@evalq/db';
import { ApiError } from './api-error.js';

/** Every error is (docs/api.md) `{"error": {"code", "message", "details"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

export interface ErrorResponse {
  statusCode: number;
  body: ErrorBody;
}

const body = (code: string, message: string, details: unknown = null): ErrorBody => ({
  error: { code, message, details: details ?? null },
});

/**
 * Maps whatever a request raised to a status and the error shape. Anything the client
 * caused is a 4xx naming what to fix; only a fault of ours (or of PostgreSQL) is a 500,
 * whose message reveals nothing internal.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? 'request';
    const issues = (error as unknown as { validation: { instancePath: string; message: string }[] })
      .validation;
    const problems = issues.map((issue) => ({
      path: [where, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message,
    }));
    return {
      statusCode: 400,
      body: body(
        'VALIDATION_FAILED',
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        problems,
      ),
    };
  }
  if (error instanceof ApiError) {
    return { statusCode: error.statusCode, body: body(error.code, error.message, error.details) };
  }
  if (error instanceof ValidationError) {
    return { statusCode: 400, body: body(error.code, error.message, error.details) };
  }
  if (error instanceof NotFoundError) {
    return { statusCode: 404, body: body(error.code, error.message, error.details) };
  }
  if (error instanceof ConflictError) {
    return { statusCode: 409, body: body(error.code, error.message, error.details) };
  }
  if (error instanceof EvalqError) {
    return { statusCode: 400, body: body(error.code, error.message, error.details) };
  }

  const fastifyCode = (error as { code?: unknown }).code;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { statusCode: 413, body: body('PAYLOAD_TOO_LARGE', message) };
  }
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      statusCode: 415,
      body: body('UNSUPPORTED_MEDIA_TYPE', `${message}; send application/json`),
    };
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      statusCode: statusCode === 404 ? 404 : statusCode === 413 ? 413 : 400,
      body: body(statusCode === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message),
    };
  }

  const unavailable = dependencyUnavailable(error);
  if (unavailable) return unavailable;
  const postgres = postgresError(error);
  if (postgres) return postgres;
  return { statusCode: 500, body: body('INTERNAL', 'internal error; the server log has details') };
}

/** Socket errors of a connection to PostgreSQL that cannot be (re)made. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * PostgreSQL unreachable, restarting, out of connections or too slow: not the
 * client's fault and not a bug, but a 503 that says to retry (the readiness probe
 * says the same), so callers and load balancers can tell an outage from an error.
 */
function dependencyUnavailable(error: unknown): ErrorResponse | undefined {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  const lostConnection =
    (typeof code === 'string' && CONNECTION_ERRNOS.has(code)) ||
    isServerUnavailable(error) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(message);
  if (lostConnection) {
    return {
      statusCode: 503,
      body: body(
        'SERVICE_UNAVAILABLE',
        'the database is unreachable right now; retry shortly (GET /readyz says when it is back)',
      ),
    };
  }
  if (sqlState(error) === SQLSTATE.queryCanceled) {
    return {
      statusCode: 503,
      body: body('SERVICE_UNAVAILABLE', 'the database took too long to answer; retry shortly'),
    };
  }
  return undefined;
}

/** PostgreSQL errors a request can cause (the code checks first; these are the last line). */
function postgresError(error: unknown): ErrorResponse | undefined {
  const state = sqlState(error);
  if (state === undefined) return undefined;
  const detail = (error as { detail?: string }).detail;
  if (state === SQLSTATE.foreignKeyViolation) {
    return {
      statusCode: 409,
      body: body(
        'CONFLICT',
        `the change conflicts with data that refers to it${detail ? `: ${detail}` : ''}`,
      ),
    };
  }
  if (state === SQLSTATE.uniqueViolation) {
    return {
      statusCode: 409,
      body: body('CONFLICT', `already exists${detail ? `: ${detail}` : ''}`),
    };
  }
  if (isDataException(error)) {
    return {
      statusCode: 400,
      body: body('VALIDATION_FAILED', `a value cannot be stored: ${(error as Error).message}`),
    };
  }
  return undefined;
}
