import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { round, type BenchContext } from '../bench-context.js';
import type { JobKey } from '@evalq/core';
import { prepareJob } from '../job-run.js';

const POLLERS = 50;
/** Each poller reads, then waits this long: as `evalq launch --watch` does. */
const THINK_MS = 500;
/** The same 50 pollers five times as eager (reported, not a target). */
const EAGER_THINK_MS = 100;

function getOnce(agent: Agent, url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      response.resume();
      response.once('end', () => {
        if (response.statusCode !== 200)
          reject(new Error(`GET ${url}: HTTP ${response.statusCode}`));
        else resolve(performance.now() - started);
      });
    }).once('error', reject);
  });
}

/** 50 pollers reading one job's progress for `seconds`; every latency in ms. */
async function poll(url: string, seconds: number, thinkMs = THINK_MS): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: POLLERS });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  // Start the pollers spread over one think time, as independent dashboards are.
  await Promise.all(
    Array.from({ length: POLLERS }, async (_, i) => {
      await sleep((i * thinkMs) / POLLERS);
      while (performance.now() < deadline) {
        latencies.push(await getOnce(agent, url));
        await sleep(thinkMs);
      }
    }),
  );
  agent.destroy();
  return latencies;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * T6: GET /v1/jobs/:m/:p/:d from 50 concurrent pollers (each every 500 ms, as the
 * CLI's watch does: ≈100 reads/s) while a worker runs the big job and a 1,000-row job at 100 ms latency. The
 * big job's and the small job's progress and /healthz are read in alternating phases,
 * so all three see the same machine: p99 over every progress read ÷ p99 on /healthz
 * (what an HTTP request costs on this machine at that moment), and the ratio of the
 * two jobs' p50s.
 */
export async function t6ProgressReads(
  ctx: BenchContext,
  bigJob: JobKey,
  baseUrl: string,
): Promise<void> {
  const small = await prepareJob(ctx, 't6-small', ctx.sizes.t6SmallRows, baseUrl);
  const [smallJob] = await ctx.api.launch(small.datasetId, [small.modelId], [small.promptId]);
  // The machine's noise floor: one client, one request at a time, nothing else running.
  const agent = new Agent({ keepAlive: true });
  const sequential: number[] = [];
  for (let i = 0; i < 1000; i += 1) sequential.push(await getOnce(agent, `${ctx.api.url}/healthz`));
  agent.destroy();
  const selects: number[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const started = performance.now();
    await ctx.stack.pool.query('SELECT 1');
    selects.push(performance.now() - started);
  }
  sequential.sort((a, b) => a - b);
  selects.sort((a, b) => a - b);
  // The same reads with no job running, for comparison.
  ctx.say(`T6: ${POLLERS} pollers with no job running (for the record)`);
  const idle = (
    await poll(`${ctx.api.url}${ctx.api.jobPath(bigJob)}`, ctx.sizes.t6Seconds / 4)
  ).sort((a, b) => a - b);
  const worker = await ctx.stack.startWorker(32, 't6 worker');
  try {
    // Let the worker get going on both jobs before reading.
    await sleep(1000);
    const big: number[] = [];
    const little: number[] = [];
    const phase = ctx.sizes.t6Seconds / 4;
    ctx.say(`T6: ${POLLERS} pollers for ${ctx.sizes.t6Seconds} s while a worker runs both jobs`);
    // The same pollers on /healthz (no database, no work), in phases of their own between
    // the progress reads: the floor of the HTTP path on this machine while the job runs.
    const health: number[] = [];
    for (let i = 0; i < 2; i += 1) {
      big.push(...(await poll(`${ctx.api.url}${ctx.api.jobPath(bigJob)}`, phase)));
      health.push(...(await poll(`${ctx.api.url}/healthz`, phase / 2)));
      little.push(...(await poll(`${ctx.api.url}${ctx.api.jobPath(smallJob!)}`, phase)));
      health.push(...(await poll(`${ctx.api.url}/healthz`, phase / 2)));
    }
    health.sort((a, b) => a - b);
    ctx.say(`T6: the same pollers every ${EAGER_THINK_MS} ms (for the record)`);
    const eager = (
      await poll(`${ctx.api.url}${ctx.api.jobPath(bigJob)}`, phase * 2, EAGER_THINK_MS)
    ).sort((a, b) => a - b);
    const all = [...big, ...little].sort((a, b) => a - b);
    big.sort((a, b) => a - b);
    little.sort((a, b) => a - b);
    const p99 = percentile(all, 99);
    const ratio = percentile(big, 50) / percentile(little, 50);
    const healthP99 = percentile(health, 99);
    const p99Ratio = p99 / healthP99;
    ctx.figures.T6 = {
      p99_ratio_to_healthz: round(p99Ratio, 2),
      p99_ms: round(p99, 2),
      p50_ratio: round(ratio, 2),
    };
    ctx.figures.T6_detail = {
      reads: all.length,
      reads_per_s: round(all.length / ctx.sizes.t6Seconds, 0),
      p50_ms: round(percentile(all, 50), 2),
      p50_big_ms: round(percentile(big, 50), 2),
      p50_small_ms: round(percentile(little, 50), 2),
      max_ms: round(all[all.length - 1]!, 1),
      sequential_p99_ms: {
        healthz: round(percentile(sequential, 99), 2),
        select_1: round(percentile(selects, 99), 2),
      },
      pollers_on_healthz: {
        p50_ms: round(percentile(health, 50), 2),
        p99_ms: round(percentile(health, 99), 2),
      },
      no_job_running: {
        p50_ms: round(percentile(idle, 50), 2),
        p99_ms: round(percentile(idle, 99), 2),
      },
      eager: {
        think_ms: EAGER_THINK_MS,
        reads_per_s: round(eager.length / (phase * 2), 0),
        p50_ms: round(percentile(eager, 50), 2),
        p99_ms: round(percentile(eager, 99), 2),
      },
    };
    ctx.lines.push({
      id: 'T6',
      scenario: `progress reads, ${POLLERS} pollers (every ${THINK_MS} ms) while a job runs: p99 ÷ the same pollers on /healthz meanwhile; p50 ${ctx.sizes.bigRows}-row ÷ ${ctx.sizes.t6SmallRows}-row job`,
      measured: `${round(p99Ratio, 2)} (p99 ${round(p99, 2)} ms ÷ ${round(healthP99, 2)} ms); p50 ratio ${round(ratio, 2)} (${all.length} reads, p50 ${round(percentile(all, 50), 2)} ms; no job running: p99 ${round(percentile(idle, 99), 2)} ms; every ${EAGER_THINK_MS} ms: p99 ${round(percentile(eager, 99), 2)} ms)`,
      target: '≤ 2; ≤ 1.5',
      met: p99Ratio <= 2 && ratio <= 1.5,
    });
  } finally {
    await ctx.stack.stop([worker]);
  }
}
