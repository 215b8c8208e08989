import { startPgBouncer, sampleBackends } from '@evalq/testing';
import { round, type BenchContext } from '../bench-context.js';
import { BENCH_APPLICATION_NAME, BENCH_SERVER_URL } from '../bench-stack.js';
import { runJob } from '../job-run.js';

const WORKERS = 16;
const CONCURRENCY = 8;
const POOL = 10;
const LATENCY_MS = 100;

/**
 * T10, a fleet: 16 worker processes × 8 calls in flight at 100 ms latency, all through one
 * PgBouncer in transaction pooling mode (the shipped configuration, deploy/kubernetes/)
 * with a pool of 10 server connections. Exactly once is checked as in every run; the
 * server connections PostgreSQL runs for the database are sampled from pg_stat_activity
 * the whole time (workers starting, running, stopping) and must never exceed the pool.
 * Efficiency: achieved ÷ the ideal 128 ÷ 0.1 s = 1,280/s (no target: on a shared
 * 2-core machine the CPU, not the pool, is the limit).
 */
export async function t10Fleet(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t10Rows;
  const pgbouncer = await startPgBouncer({ poolSize: POOL, serverUrl: BENCH_SERVER_URL });
  const sampler = await sampleBackends({
    database: ctx.stack.databaseName,
    // The benchmark's own connections and the API's go to PostgreSQL directly.
    ignoreApplicationNames: [BENCH_APPLICATION_NAME, 'evalq-api'],
    serverUrl: BENCH_SERVER_URL,
    intervalMs: 25,
  });
  let run;
  let backends;
  let pooling;
  try {
    ctx.say(
      `T10: ${WORKERS} workers × ${CONCURRENCY} through PgBouncer (pool ${POOL}), ${rows} rows, ${LATENCY_MS} ms latency`,
    );
    run = await runJob(ctx, {
      label: 't10',
      rows,
      workers: WORKERS,
      concurrency: CONCURRENCY,
      latencyMs: LATENCY_MS,
      workerEnv: {
        DATABASE_URL: pgbouncer.url(ctx.stack.databaseName),
        DATABASE_DIRECT_URL: ctx.stack.databaseUrl,
        // As deploy/kubernetes/base/config.yaml sets it.
        DATABASE_POOL_SIZE: '4',
      },
      otherPids: { pgbouncer: pgbouncer.pid },
    });
    pooling = await pgbouncer.stats(ctx.stack.databaseName);
  } finally {
    backends = await sampler.stop();
    await pgbouncer.stop();
  }
  const ideal = (WORKERS * CONCURRENCY) / (LATENCY_MS / 1000);
  const efficiency = run.rate / ideal;
  const peaks = run.workerPeakMb;
  ctx.figures.T10 = { efficiency: round(efficiency, 3), max_server_connections: backends.max };
  ctx.figures.T10_detail = {
    per_s: round(run.rate, 1),
    ideal_per_s: ideal,
    pool: POOL,
    server_connections: {
      max: backends.max,
      mean: round(backends.mean, 1),
      samples: backends.count,
    },
    transactions_per_row: round(run.transactionsPerRow, 3),
    // From PgBouncer: how long a transaction held a server connection, and how long
    // clients waited for one (0 when the pool never ran short).
    pgbouncer: {
      transactions: pooling.transactions,
      mean_transaction_ms: round(
        pooling.transactionTimeUs / Math.max(1, pooling.transactions) / 1000,
        2,
      ),
      mean_wait_ms: round(pooling.waitTimeUs / Math.max(1, pooling.transactions) / 1000, 2),
    },
    cpu_us_per_row: { ...run.cpuPerRowUs, machine_busy: round(run.machineBusy, 2) },
    worker_peak_rss_mb: {
      min: round(Math.min(...peaks), 0),
      max: round(Math.max(...peaks), 0),
      mean: round(peaks.reduce((sum, mb) => sum + mb, 0) / peaks.length, 0),
    },
  };
  ctx.lines.push({
    id: 'T10',
    scenario: `fleet: ${WORKERS} workers × ${CONCURRENCY}, ${LATENCY_MS} ms, one PgBouncer (pool ${POOL}), ${rows} rows`,
    measured: `efficiency ${round(efficiency, 2)} (${round(run.rate, 0)}/s of ${ideal}/s); server connections max ${backends.max} (mean ${round(backends.mean, 1)}, ${backends.count} samples)`,
    target: `exactly once; ≤ ${POOL} connections`,
    met: backends.max <= POOL,
  });
}
