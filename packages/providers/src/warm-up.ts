import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAIClient } from './clients/openai-client.js';
import { createClosableKeepAliveFetch } from './keep-alive-fetch.js';
import { parseModelConfig } from './create-model-client.js';

const CANNED_ANSWER = Buffer.from(
  JSON.stringify({
    id: 'warm-up',
    object: 'chat.completion',
    created: 0,
    model: 'warm-up',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }),
);

/**
 * Runs the OpenAI client's code a few times against a canned answer from a throwaway
 * server on the loopback, so the first calls of the first job do not pay for loading
 * and compiling it: Node loads its fetch classes (Response, Headers) on first use,
 * 60–90 ms on a busy 2-core machine, the SDK's first request builds its platform
 * headers, and node:http's client runs cold. The worker does this before it reports
 * ready; the connections used here are closed with their own pool.
 */
export async function warmUpModelClients(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(CANNED_ANSWER);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { fetch, close } = createClosableKeepAliveFetch();
  try {
    const client = createOpenAIClient({
      model: 'warm-up',
      config: parseModelConfig({
        base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      }),
      env: {},
      fetch,
    });
    for (let i = 0; i < 3; i += 1) {
      await client.complete({
        messages: [{ role: 'user', content: 'warm-up' }],
        timeoutMs: 10_000,
      });
    }
  } finally {
    close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
