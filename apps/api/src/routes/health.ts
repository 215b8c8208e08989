import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { coerceError } from '@evalq/core';
import { pingDatabase } from '@evalq/db';
import type { ApiContext } from '../context.js';

const CHECK_TIMEOUT_MS = 2000;

const check = z.object({ ok: z.boolean(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  postgres: check,
  /** Absent in queue-less mode, which uses no Redis. */
  redis: check.optional(),
});

async function probe(work: () => Promise<unknown>): Promise<z.output<typeof check>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: coerceError(error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Open to everyone (no token): what orchestrators and load balancers probe. */
export function healthRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'The process is alive',
          tags: ['health'],
          security: [],
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          summary: 'PostgreSQL and Redis (unless queue-less) are reachable',
          tags: ['health'],
          security: [],
          response: { 200: readiness, 503: readiness },
        },
      },
      async (_request, reply) => {
        const { redis: client } = ctx;
        const [postgres, redis] = await Promise.all([
          probe(() => pingDatabase(ctx.db)),
          client && probe(() => client.ping()),
        ]);
        const ready = postgres.ok && (redis?.ok ?? true);
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? 'ready' : 'unavailable', postgres, redis });
      },
    );
    done();
  };
}
