import type { FastifyReply } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { findShareLink } from '@evalq/db';
import { gone } from '../api-error.js';
import type { ApiContext } from '../context.js';
import { loadDashboardAssets } from '../dashboard/dashboard-assets.js';
import { setDashboardSecurityHeaders } from '../dashboard/security-headers.js';
import { loadRunView } from '../runs/run-view.js';
import { errors } from '../schemas/common.js';
import { sharedRun, shareParams } from '../schemas/share.js';
import { shareGonePage } from '../share/share-gone-page.js';
import { presentSharedRun } from '../share/shared-run.js';
import { hashShareToken, looksLikeShareToken } from '../share/share-token.js';

type LinkState = { state: 'open'; runId: string; expiresAt: Date } | { state: 404 | 410 };

/** Headers of everything a share link serves: the dashboard's CSP, and never cached or indexed. */
function shareHeaders(reply: FastifyReply): void {
  setDashboardSecurityHeaders(reply);
  reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex, nofollow');
}

/**
 * GET /share/<token> (a read-only page of one run) and /share/<token>/data (its JSON),
 * outside /v1 and without the API token: the token in the path is the only key, and it
 * opens this run's results and nothing else. Unknown tokens are 404, expired or revoked
 * ones 410.
 */
export function shareRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  const page = loadDashboardAssets().get('share.html');
  if (!page) throw new Error("the dashboard's share.html is missing");

  async function open(token: string): Promise<LinkState> {
    if (!looksLikeShareToken(token)) return { state: 404 };
    const link = await findShareLink(ctx.db, hashShareToken(token));
    if (!link) return { state: 404 };
    if (!link.usable) return { state: 410 };
    return { state: 'open', runId: link.run_id, expiresAt: link.expires_at };
  }

  return (app, _options, done) => {
    app.get(
      '/share/:token',
      { schema: { hide: true, params: shareParams } },
      async (request, reply) => {
        const link = await open(request.params.token);
        shareHeaders(reply);
        if (link.state !== 'open') {
          return reply
            .code(link.state)
            .type('text/html; charset=utf-8')
            .send(shareGonePage(link.state));
        }
        return reply.type(page.contentType).send(page.body);
      },
    );

    app.get(
      '/share/:token/data',
      {
        schema: {
          summary: "A shared run's progress and results (no API token: the link is the key)",
          tags: ['runs'],
          security: [],
          params: shareParams,
          response: { 200: sharedRun, ...errors(404, 410) },
        },
      },
      async (request, reply) => {
        const link = await open(request.params.token);
        shareHeaders(reply);
        if (link.state !== 'open') {
          throw link.state === 404
            ? new NotFoundError('share link')
            : gone('this share link expired or was revoked: ask for a new one');
        }
        const view = await loadRunView(ctx.db, link.runId);
        if (!view) throw gone('the shared run no longer exists');
        return presentSharedRun(ctx.db, view, link.expiresAt);
      },
    );
    done();
  };
}
