/**
 * Child process: the reference for T1, a bare loop over the official `openai` SDK with
 * `concurrency` requests in flight, no database, no queue. Prints
 * `{"requests": n, "seconds": s, "rate": n/s, "cpu_us_per_request": µs}` (this process's CPU,
 * user + system, over the timed part).
 *   node sdk-loop-main.js <base url> <concurrency> <requests>
 */
import OpenAI from 'openai';

const [baseURL, concurrencyArg, requestsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const requests = Number(requestsArg);
const client = new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0 });

let next = 0;
async function loop(): Promise<void> {
  while (next < requests) {
    const i = next++;
    await client.chat.completions.create({
      model: 'bench-model',
      messages: [{ role: 'user', content: `Reply with the answer only: row ${i} question` }],
    });
  }
}

// A short warm-up, as evalq's workers are warm (started and connected) when timed.
await Promise.all(
  Array.from({ length: concurrency }, () => client.models.list().catch(() => undefined)),
);
const started = performance.now();
const cpuBefore = process.cpuUsage();
await Promise.all(Array.from({ length: concurrency }, loop));
const cpu = process.cpuUsage(cpuBefore);
const seconds = (performance.now() - started) / 1000;
const cpuUsPerRequest = (cpu.user + cpu.system) / requests;
process.stdout.write(
  `${JSON.stringify({ requests, seconds, rate: requests / seconds, cpu_us_per_request: cpuUsPerRequest })}\n`,
);
