import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from '@evalq/core';
import { createDb } from '@evalq/db';
import type { RunJobData } from '@evalq/queue';
import { bearerAuth } from './auth.js';
import { resolveApiConfig, type ApiConfig } from './config.js';
import type { ApiContext } from './context.js';
import { trackConnections } from './connection-tracker.js';
import { toErrorResponse } from './error-response.js';
import { etagOnSend } from './etag.js';
import { ProgressFeed } from './events/progress-feed.js';
import { ProgressCache } from './progress-cache.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { cacheRoutes } from './routes/cache.js';
import { compareRoutes } from './routes/compare.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { datasetRoutes } from './routes/datasets.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { metricsRoutes } from './routes/operations.js';
import { predictionGridRoutes } from './routes/prediction-grid.js';
import { predictionRoutes } from './routes/predictions.js';
import { promptRoutes } from './routes/prompts.js';
import { rowsImportRoutes } from './routes/rows-import.js';
import { runRoutes } from './routes/runs.js';
import { shareRoutes } from './routes/share.js';

export interface ApiDependencies {
  /** The caller's pool; the server never ends it. */
  pool: pg.Pool;
  /** For readiness; the caller's, never closed by the server. None in queue-less mode. */
  redis: Redis | undefined;
  /**
   * Where launched jobs are enqueued; the caller's, never closed by the server. None in
   * queue-less mode, where PostgreSQL announces launches to the workers by itself.
   */
  queue: Queue<RunJobData> | undefined;
  logger: Logger;
  config?: Partial<ApiConfig>;
}

export type ApiServer = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  Logger,
  ZodTypeProvider
>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The evalq HTTP API (docs/api.md), ready to `listen` or `inject`. Connections are
 * injected and stay the caller's; `close()` stops what the server itself started (the
 * progress poller, open SSE streams).
 */
export async function createApiServer(deps: ApiDependencies): Promise<ApiServer> {
  const config = resolveApiConfig(deps.config);
  const db = createDb(deps.pool);
  const ctx: ApiContext = {
    db,
    pool: deps.pool,
    redis: deps.redis,
    queue: deps.queue,
    config,
    logger: deps.logger,
    feed: new ProgressFeed(db, config.eventsPollIntervalMs, deps.logger),
    progressCache: new ProgressCache(config.progressCacheMs),
    metrics: createApiMetrics(db, deps.queue),
  };

  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: config.bodyLimitBytes,
    // A caller's request id (e.g. from a proxy) is kept when it is sane; else one is made.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // Malformed URLs (bad percent-encoding) fail in the router, before any route: give
    // them the same error shape as everything else.
    frameworkErrors: (error, _request, reply) => {
      const response = toErrorResponse(error);
      reply.raw
        .writeHead(response.statusCode, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(response.body));
    },
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();

  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error, request, reply) => {
    const response = toErrorResponse(error);
    if (response.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else
      request.log.info(
        { code: response.body.error.code, status: response.statusCode },
        response.body.error.message,
      );
    if (response.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="evalq"');
    if (response.statusCode === 503) reply.header('retry-after', '5');
    return reply
      .code(response.statusCode)
      .type('application/json; charset=utf-8')
      .send(response.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}; see /docs`,
        details: null,
      },
    }),
  );

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onSend', etagOnSend);
  app.addHook('onResponse', (request, reply, done) => {
    ctx.metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  // Stopping: idle connections go now, busy ones once answered, within a grace period.
  const connections = trackConnections(app.server);
  app.addHook('preClose', (done) => {
    connections.closeWhenIdle();
    setTimeout(() => connections.closeAll(), config.shutdownGraceMs).unref();
    done();
  });
  app.addHook('onClose', async () => {
    await ctx.feed.close();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'evalq API',
        version: '1',
        description:
          'Batch evaluations of LLMs: datasets, models, prompts, jobs (model × prompt × dataset), ' +
          'progress, predictions and leaderboards. Errors are {"error": {"code", "message", "details"}}.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(healthRoutes(ctx));
  await app.register(dashboardRoutes());
  await app.register(metricsRoutes(ctx));
  await app.register(shareRoutes(ctx));
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', bearerAuth(config.apiToken));
      await v1.register(datasetRoutes(ctx));
      await v1.register(rowsImportRoutes(ctx));
      await v1.register(modelRoutes(ctx));
      await v1.register(promptRoutes(ctx));
      await v1.register(jobRoutes(ctx));
      await v1.register(runRoutes(ctx));
      await v1.register(cacheRoutes(ctx));
      await v1.register(eventRoutes(ctx));
      await v1.register(predictionRoutes(ctx));
      await v1.register(predictionGridRoutes(ctx));
      await v1.register(compareRoutes(ctx));
    },
    { prefix: '/v1' },
  );
  return app;
}
