import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '@evalq/core';
import { migrate } from '@evalq/db';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '@evalq/testing';
import { ChildService } from './child-service.js';
import { shippedNodeOptions } from './shipped-node-options.js';

/** The PostgreSQL server and Redis the benchmark uses (the same defaults as the tests). */
export const BENCH_SERVER_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Leave the run's database in place to inspect it (a later run drops it an hour on). */
const KEEP_DATABASE = process.env.BENCH_KEEP_DATABASE === '1';

const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));
/** `evalq`, exactly as the container image and `npm run api|worker` start it. */
export const EVALQ_MAIN = script('../../apps/cli/dist/main.js');
/** Extra Node flags for the evalq processes (e.g. `--cpu-prof` while investigating). */
const SERVICE_NODE_ARGS = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Extra environment for the workers, `NAME=value NAME=value` (to compare settings). */
const WORKER_ENV = Object.fromEntries(
  (process.env.BENCH_WORKER_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const FAKE_SERVER_MAIN = script('./fake-server-main.js');
/** The benchmark's own PostgreSQL connections, so samples of pg_stat_activity can leave them out. */
export const BENCH_APPLICATION_NAME = 'evalq-bench';
export const SDK_LOOP_MAIN = script('./sdk-loop-main.js');
export const RAW_LOOP_MAIN = script('./raw-loop-main.js');

/** The fake server's counters (fake-server-main.ts): times in ms since the epoch. */
export interface FakeServerStats {
  requests: number;
  /** Every answered request's time in flight, summed, ms. */
  inFlightMs: number;
  peakInFlight: number;
  firstRequestAt: number | null;
  firstAnswerAt: number | null;
}

/** A fake model server the benchmark started. */
export interface BenchFakeServer {
  url: string;
  process: ChildService;
  stats(): Promise<FakeServerStats>;
}

/**
 * Everything one benchmark run owns: a freshly migrated database of its own, a BullMQ
 * prefix of its own, and every child process it started. `close()` stops the
 * processes and drops the database, so a run leaves nothing behind.
 */
export class BenchStack {
  readonly pool: pg.Pool;
  private readonly children = new Set<ChildService>();

  private constructor(
    readonly databaseName: string,
    readonly databaseUrl: string,
    readonly queuePrefix: string,
  ) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 4,
      application_name: BENCH_APPLICATION_NAME,
    });
    // However the benchmark ends (a crash included), no process of it outlives it.
    process.once('exit', () => {
      for (const child of this.children) child.killNow();
    });
  }

  static async create(): Promise<BenchStack> {
    await dropStaleBenchDatabases();
    const name = `evalq_bench_${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
    const url = new URL(BENCH_SERVER_URL);
    url.pathname = `/${name}`;
    await migrate({ databaseUrl: url.toString() });
    return new BenchStack(name, url.toString(), uniqueQueuePrefix('bench'));
  }

  /** The environment of an evalq process of this run. */
  serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: BENCH_REDIS_URL,
      QUEUE_PREFIX: this.queuePrefix,
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  /** The fake OpenAI-compatible server, in its own process, answering after `latencyMs`. */
  async startFakeServer(latencyMs: number): Promise<BenchFakeServer> {
    const child = this.track(
      new ChildService('fake server', FAKE_SERVER_MAIN, { args: [String(latencyMs)] }),
    );
    const ready = await child.waitForLine((line) => typeof line.url === 'string');
    const statsUrl = ready.statsUrl as string;
    return {
      url: ready.url as string,
      process: child,
      stats: async () => (await (await fetch(statsUrl)).json()) as FakeServerStats,
    };
  }

  /** `evalq api` on a free port; resolves once /readyz answers 200. */
  async startApi(): Promise<{ url: string; process: ChildService }> {
    const port = await freePort();
    const child = this.track(
      new ChildService('api', EVALQ_MAIN, {
        args: ['api'],
        nodeArgs: SERVICE_NODE_ARGS,
        env: this.serviceEnv({
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
          NODE_OPTIONS: shippedNodeOptions('api'),
        }),
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return { url, process: child };
      if (Date.now() > deadline) throw new Error(`the API did not get ready\n${child.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** `evalq worker`; resolves once it logs that it is ready. */
  async startWorker(
    concurrency: number,
    label = 'worker',
    extraEnv: Record<string, string> = {},
  ): Promise<ChildService> {
    const child = this.track(
      new ChildService(label, EVALQ_MAIN, {
        args: ['worker'],
        nodeArgs: SERVICE_NODE_ARGS,
        env: this.serviceEnv({
          WORKER_CONCURRENCY: String(concurrency),
          LOG_LEVEL: 'info',
          NODE_OPTIONS: shippedNodeOptions('worker'),
          ...extraEnv,
          ...WORKER_ENV,
        }),
      }),
    );
    await child.waitForLine((line) => line.msg === 'worker ready');
    return child;
  }

  /** Starts a child that is not an evalq service (the reference client loop). */
  startChild(name: string, scriptPath: string, args: string[]): ChildService {
    return this.track(new ChildService(name, scriptPath, { args }));
  }

  async stop(children: Iterable<ChildService>): Promise<void> {
    await Promise.all(
      [...children].map(async (child) => {
        await child.stop();
        this.children.delete(child);
      }),
    );
  }

  async close(): Promise<void> {
    await this.stop([...this.children]);
    await this.pool.end();
    await deleteKeysWithPrefix(this.queuePrefix, BENCH_REDIS_URL);
    if (KEEP_DATABASE) return;
    const admin = new pg.Client({ connectionString: BENCH_SERVER_URL });
    await admin.connect();
    try {
      await admin.query(
        `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(this.databaseName)} WITH (FORCE)`,
      );
    } finally {
      await admin.end();
    }
  }

  private track(child: ChildService): ChildService {
    this.children.add(child);
    return child;
  }
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: BENCH_SERVER_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Databases of benchmark runs that were killed before they could clean up (over an hour old). */
async function dropStaleBenchDatabases(): Promise<void> {
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database
        WHERE datname ~ '^evalq_bench_[0-9]+_'
          AND split_part(datname, '_', 3)::bigint < extract(epoch FROM now()) - 3600`,
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  });
}
