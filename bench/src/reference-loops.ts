import type { BenchContext } from './bench-context.js';
import { RAW_LOOP_MAIN, SDK_LOOP_MAIN } from './bench-stack.js';

/**
 * The client loops evalq is compared with, each against a fresh fake server of its own:
 * `raw`, plain node:http over a keep-alive Agent (the closest a client gets to the
 * server's limit: raw-loop-main.ts), and `sdk`, the official `openai` SDK
 * (sdk-loop-main.ts).
 */
export type ReferenceLoop = 'raw' | 'sdk';

const SCRIPTS: Record<ReferenceLoop, string> = { raw: RAW_LOOP_MAIN, sdk: SDK_LOOP_MAIN };
const NAMES: Record<ReferenceLoop, string> = {
  raw: 'keep-alive HTTP loop',
  sdk: 'openai SDK loop',
};

/** What one run of a reference loop measured. */
export interface ReferenceRun {
  /** Requests a second. */
  rate: number;
  /** The loop's own CPU (user + system) per request: what a bare client costs. */
  clientCpuUs: number;
}

/** One reference loop: `requests` calls, `concurrency` in flight, at `latencyMs`. */
export async function referenceRun(
  ctx: BenchContext,
  loop: ReferenceLoop,
  latencyMs: number,
  concurrency: number,
  requests: number,
): Promise<ReferenceRun> {
  const server = await ctx.stack.startFakeServer(latencyMs);
  try {
    const child = ctx.stack.startChild(NAMES[loop], SCRIPTS[loop], [
      server.url,
      String(concurrency),
      String(requests),
    ]);
    const result = await child.waitForLine((line) => typeof line.rate === 'number', 600_000);
    await ctx.stack.stop([child]);
    return { rate: result.rate as number, clientCpuUs: result.cpu_us_per_request as number };
  } finally {
    await ctx.stack.stop([server.process]);
  }
}

/**
 * A reference loop's rate measured before and after `measure` (evalq's run), averaged,
 * so that a drift of the shared machine during the scenario weighs on both sides alike.
 */
export async function around<T>(
  ctx: BenchContext,
  label: string,
  loops: ReferenceLoop[],
  latencyMs: number,
  concurrency: number,
  requests: number,
  measure: () => Promise<T>,
): Promise<{
  result: T;
  rates: Record<ReferenceLoop, number>;
  clientCpuUs: Record<ReferenceLoop, number>;
}> {
  const rates: Record<ReferenceLoop, number> = { raw: 0, sdk: 0 };
  const clientCpuUs: Record<ReferenceLoop, number> = { raw: 0, sdk: 0 };
  const runLoops = async (when: string) => {
    for (const loop of loops) {
      ctx.say(`${label}: ${NAMES[loop]} ${when}, concurrency ${concurrency}, ${requests} requests`);
      const run = await referenceRun(ctx, loop, latencyMs, concurrency, requests);
      rates[loop] += run.rate / 2;
      clientCpuUs[loop] += run.clientCpuUs / 2;
    }
  };
  await runLoops('before');
  const result = await measure();
  await runLoops('after');
  return { result, rates, clientCpuUs };
}
