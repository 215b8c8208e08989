import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';

/**
 * GET / — the operator dashboard (SPEC §7). The dashboard itself is issue 5; until it
 * lands this page points at what exists. It reads only public endpoints' data through
 * /v1, so it will need the token when API_TOKEN is set.
 */
export function dashboardRoutes(): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(PLACEHOLDER_PAGE),
    );
    done();
  };
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>evalq</title></head>
<body>
<h1>evalq</h1>
<p>The dashboard is not built yet. Meanwhile:</p>
<ul>
<li><a href="/docs">API documentation</a> (<a href="/openapi.json">OpenAPI document</a>)</li>
<li><code>GET /v1/jobs</code>: every job with its progress; <code>GET /v1/events</code>: progress as Server-Sent Events</li>
<li><code>npm run evalq -- status</code> in a terminal</li>
</ul>
</body>
</html>
`;
