import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout, type Logger } from '@evalq/core';
import type { Registry } from 'prom-client';
import { errorSummary } from './error-summary.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  readiness: readonly ReadinessCheck[];
  log: Logger;
}

/** How long a readiness check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * The worker's small HTTP server on METRICS_PORT: `/healthz` (the process is alive),
 * `/readyz` (PostgreSQL and Redis answer; 503 naming what does not) and `/metrics`
 * (Prometheus text format). Built by the factory, listening once `listen` resolves.
 */
export class MetricsServer {
  readonly #options: MetricsServerOptions;
  readonly #server: Server;
  #port: number | undefined;

  constructor(options: MetricsServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => route(options, req, res));
  }

  /** The port served on, once listening (METRICS_PORT=0 picks a free one). */
  get port(): number | undefined {
    return this.#port;
  }

  async listen(): Promise<void> {
    const { port, host, log } = this.#options;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host ?? '0.0.0.0', () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    log.info({ port: this.#port }, 'metrics, health and readiness served');
  }

  /** Stops serving; a server that never listened closes at once. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function route(options: MetricsServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' });
    res.end(JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET' } }));
    return;
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok' }));
    return;
  }
  if (path === '/readyz') {
    void readiness(options.readiness).then((report) => {
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
    });
    return;
  }
  if (path === '/metrics') {
    options.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': options.registry.contentType });
        res.end(text);
      },
      (error: unknown) => {
        options.log.error({ err: errorSummary(error) }, 'could not render metrics');
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('metrics unavailable\n');
      },
    );
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${path}` } }));
}

async function readiness(
  checks: readonly ReadinessCheck[],
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await withTimeout(
          check(),
          CHECK_TIMEOUT_MS,
          () => new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`),
        );
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      }
    }),
  );
  return {
    ready: results.every(([, status]) => status === 'ok'),
    checks: Object.fromEntries(results),
  };
}
