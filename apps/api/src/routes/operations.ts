import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { bearerAuth } from '../auth.js';
import type { ApiContext } from '../context.js';

/** GET /metrics (Prometheus text), behind the same token as /v1. */
export function metricsRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.addHook('onRequest', bearerAuth(ctx.config.apiToken));
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics: jobs and rows by status, job progress, HTTP latency',
          tags: ['operations'],
          produces: ['text/plain'],
        },
      },
      async (_request, reply) => {
        const text = await ctx.metrics.render();
        return reply.type(ctx.metrics.contentType).header('cache-control', 'no-store').send(text);
      },
    );
    done();
  };
}
