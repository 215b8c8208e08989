import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { unauthorized } from './api-error.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * An onRequest hook requiring `Authorization: Bearer <token>` when a token is
 * configured. Both sides are hashed first, so the comparison is constant-time and
 * does not even leak the token's length. It runs before the body is read.
 */
export function bearerAuth(
  token: string | undefined,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const expected = token === undefined ? undefined : digest(token);
  return (request, _reply, done) => {
    if (expected === undefined) {
      done();
      return;
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      done(
        unauthorized('missing bearer token: send the header "Authorization: Bearer <API_TOKEN>"'),
      );
    } else if (!timingSafeEqual(digest(match[1]!), expected)) {
      done(unauthorized("the bearer token is not this API's API_TOKEN"));
    } else {
      done();
    }
  };
}
