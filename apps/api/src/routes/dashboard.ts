import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { loadDashboardAssets } from '../dashboard/dashboard-assets.js';
import { setDashboardSecurityHeaders } from '../dashboard/security-headers.js';

/**
 * GET / — the operator dashboard (docs/dashboard.md), and GET /dashboard/* — its scripts and
 * styles. Plain ES modules and CSS from apps/api/dashboard, read once at start-up. The
 * page holds no data: it reads everything through /v1 (asking for the token when
 * API_TOKEN is set), so it is served without one. Bodies are strings, so the ETag hook
 * gives them ETags and a reload costs 304s.
 */
export function dashboardRoutes(): FastifyPluginCallbackZod {
  const assets = loadDashboardAssets();
  const send = (path: string) => {
    const asset = assets.get(path);
    if (asset === undefined) throw new NotFoundError(`dashboard file /dashboard/${path}`);
    return asset;
  };
  return (app, _options, done) => {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      const page = send('index.html');
      setDashboardSecurityHeaders(reply);
      return reply.type(page.contentType).send(page.body);
    });
    app.get(
      '/dashboard/*',
      { schema: { hide: true, params: z.object({ '*': z.string() }) } },
      async (request, reply) => {
        const asset = send(request.params['*']);
        setDashboardSecurityHeaders(reply);
        return reply.type(asset.contentType).send(asset.body);
      },
    );
    done();
  };
}
