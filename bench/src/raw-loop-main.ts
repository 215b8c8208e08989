/**
 * Child process: the closest a client gets to the fake server's limit, the reference
 * of T1 and T2: plain node:http requests over a keep-alive Agent with `concurrency`
 * requests in flight, each answer read and parsed, no SDK, no database, no queue.
 * Prints what timed-requests.ts measures.
 *   node raw-loop-main.js <base url> <concurrency> <requests>
 */
import { Agent, request } from 'node:http';
import { timeRequests } from './timed-requests.js';

const [baseURL, concurrencyArg, requestsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const requests = Number(requestsArg);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const url = new URL(`${baseURL}/chat/completions`);

function complete(body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: 'Bearer bench',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

const bodyOf = (i: number) =>
  JSON.stringify({
    model: 'bench-model',
    messages: [{ role: 'user', content: `Reply with the answer only: row ${i} question` }],
  });

// The same warm-up as the SDK loop: the connections are open when the clock starts.
await Promise.all(Array.from({ length: concurrency }, () => complete(bodyOf(-1))));
await timeRequests(requests, concurrency, (i) => complete(bodyOf(i)));
agent.destroy();
