/**
 * Child process: the reference for T1, a bare loop over the official `openai` SDK with
 * `concurrency` requests in flight, no database, no queue. Prints
 * what timed-requests.ts measures.
 *   node sdk-loop-main.js <base url> <concurrency> <requests>
 */
import OpenAI from 'openai';
import { timeRequests } from './timed-requests.js';

const [baseURL, concurrencyArg, requestsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const requests = Number(requestsArg);
const client = new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0 });

// A short warm-up, as evalq's workers are warm (started and connected) when timed.
await Promise.all(
  Array.from({ length: concurrency }, () => client.models.list().catch(() => undefined)),
);
await timeRequests(requests, concurrency, (i) =>
  client.chat.completions.create({
    model: 'bench-model',
    messages: [{ role: 'user', content: `Reply with the answer only: row ${i} question` }],
  }),
);
