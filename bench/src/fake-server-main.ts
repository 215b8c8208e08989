/**
 * Child process: the fake OpenAI-compatible server, on its own core-time so the
 * process being measured does not also pay for the server. A second port answers
 * `GET /` with its counters (requests, the time they spent in flight, the first
 * request and answer), which the benchmark reads after a run. Prints `{"url": …,
 * "statsUrl": …}`.
 *   node fake-server-main.js <latency ms> [<batch delay ms>]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeOpenAIServer } from '@evalq/testing';

const latencyMs = Number(process.argv[2] ?? 0);
const batchDelayMs = Number(process.argv[3] ?? 0);
const server = await startFakeOpenAIServer({ latencyMs, batchDelayMs, record: false });
const stats = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      requests: server.requestCount,
      inFlightMs: server.inFlightMs,
      peakInFlight: server.peakInFlight,
      firstRequestAt: server.firstRequestAt ?? null,
      firstAnswerAt: server.firstAnswerAt ?? null,
    }),
  );
});
await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
const statsUrl = `http://127.0.0.1:${(stats.address() as AddressInfo).port}/`;
process.stdout.write(`${JSON.stringify({ url: server.url, statsUrl })}\n`);
process.once('SIGTERM', () => {
  stats.close();
  void server.close().then(() => process.exit(0));
});
