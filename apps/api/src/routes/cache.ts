import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { cacheStats, clearCache, type CacheFilter } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { cacheClearResult, cacheFilterQuery, cacheStatsResult } from '../schemas/cache.js';
import { errors } from '../schemas/common.js';

const tags = ['cache'];

function filterOf(query: {
  model_id?: number | undefined;
  older_than?: number | undefined;
}): CacheFilter {
  return {
    ...(query.model_id === undefined ? {} : { model_id: query.model_id }),
    ...(query.older_than === undefined
      ? {}
      : { older_than: new Date(Date.now() - query.older_than) }),
  };
}

/** The response cache shared by every worker (docs/cost.md): its size, and clearing it. */
export function cacheRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/cache',
      {
        schema: {
          summary: 'Response cache statistics',
          description: 'Entries, their size and age, per model that stored them.',
          tags,
          querystring: cacheFilterQuery,
          response: { 200: cacheStatsResult, ...errors(400, 401) },
        },
      },
      async (request) => {
        const stats = await cacheStats(ctx.db, filterOf(request.query));
        return {
          ...stats,
          oldest: stats.oldest?.toISOString() ?? null,
          newest: stats.newest?.toISOString() ?? null,
        };
      },
    );

    app.delete(
      '/cache',
      {
        schema: {
          summary: 'Clear the response cache',
          description:
            'Deletes every stored answer, or those of one model (model_id), or those older than ' +
            'a duration (older_than=7d). Stored predictions are not touched.',
          tags,
          querystring: cacheFilterQuery,
          response: { 200: cacheClearResult, ...errors(400, 401) },
        },
      },
      async (request) => {
        const deleted = await clearCache(ctx.db, filterOf(request.query));
        request.log.info({ deleted, ...request.query }, 'response cache cleared');
        return { deleted };
      },
    );
    done();
  };
}
