import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round, type BenchContext } from '../bench-context.js';
import { EVALQ_MAIN } from '../bench-stack.js';
import { runJob } from '../job-run.js';

/**
 * T8: queue-less mode (REDIS_URL=none) at 100 ms latency, 2 workers × 25: achieved ÷
 * ideal 500/s, as T2 with Redis; and how soon after the launch's answer the first row
 * is claimed (the workers hear of the launch through PostgreSQL's NOTIFY, no polling).
 */
export async function t8QueueLess(ctx: BenchContext): Promise<void> {
  const rows = ctx.sizes.t2Rows;
  ctx.say(`T8: evalq queue-less, 2 workers × 25, ${rows} rows, 100 ms latency`);
  const run = await runJob(ctx, {
    label: 't8',
    rows,
    workers: 2,
    concurrency: 25,
    latencyMs: 100,
    queue: 'postgres',
  });
  const efficiency = run.rate / (50 / 0.1);
  ctx.figures.T8 = round(efficiency, 3);
  ctx.figures.T8_per_s = round(run.rate, 1);
  ctx.figures.T8_first_claim_ms = round(run.firstClaimMs, 0);
  ctx.figures.T8_first_prediction_ms = round(run.firstPredictionMs, 0);
  ctx.lines.push({
    id: 'T8',
    scenario: `queue-less, 100 ms, 2 workers × 25, ${rows} rows: ÷ ideal 500/s; first claim after the launch`,
    measured:
      `${round(efficiency, 3)} (${round(run.rate, 1)}/s); first claim ${round(run.firstClaimMs, 0)} ms, ` +
      `first prediction stored ${round(run.firstPredictionMs, 0)} ms`,
    target: '≥ 0.9; ≤ 100 ms',
    met: efficiency >= 0.9 && run.firstClaimMs <= 100,
  });
}

/**
 * T9: `evalq demo` as a new user runs it (DATABASE_URL and REDIS_URL unset), wall time
 * cold (a new EVALQ_HOME: initdb included) and warm (the same home again).
 */
export async function t9DemoColdWarm(ctx: BenchContext): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'evalq-bench-demo-'));
  // The embedded server may run as nobody (evalq run as root).
  await chmod(home, 0o755);
  try {
    ctx.say('T9: evalq demo, cold (new EVALQ_HOME)');
    const cold = await timedDemo(join(home, '.evalq'));
    ctx.say('T9: evalq demo, warm');
    const warm = await timedDemo(join(home, '.evalq'));
    const ratio = cold / warm;
    ctx.figures.T9 = round(ratio, 2);
    ctx.figures.T9_cold_warm_s = [round(cold, 2), round(warm, 2)];
    ctx.lines.push({
      id: 'T9',
      scenario: 'npm run demo with nothing but Node: cold (initdb) ÷ warm wall time',
      measured: `${round(ratio, 2)} (${round(cold, 1)} s ÷ ${round(warm, 1)} s)`,
      target: '≤ 2.5',
      met: ratio <= 2.5,
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Runs `evalq demo` with only PATH, HOME and EVALQ_HOME set; its wall time, s. */
function timedDemo(evalqHome: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EVALQ_MAIN, 'demo'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, EVALQ_HOME: evalqHome },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('exit', (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`evalq demo exited with ${code}:\n${stderr}`));
    });
  });
}
