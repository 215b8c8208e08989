/**
 * The timed part of a reference loop (raw-loop-main.ts, sdk-loop-main.ts): request 0 to
 * `requests` - 1 through `send`, `concurrency` in flight, then one line on stdout that
 * reference-loops.ts reads: `{"requests": n, "seconds": s, "rate": n/s,
 * "cpu_us_per_request": µs}` (this process's CPU, user + system, over the timed part:
 * what a bare client costs).
 */
export async function timeRequests(
  requests: number,
  concurrency: number,
  send: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < requests) await send(next++);
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  const line = {
    requests,
    seconds,
    rate: requests / seconds,
    cpu_us_per_request: (cpu.user + cpu.system) / requests,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
