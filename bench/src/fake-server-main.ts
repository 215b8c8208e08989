/**
 * Child process: the fake OpenAI-compatible server, on its own core-time so the
 * process being measured does not also pay for the server. Prints `{"url": …}`.
 *   node fake-server-main.js <latency ms>
 */
import { startFakeOpenAIServer } from '@evalq/testing';

const latencyMs = Number(process.argv[2] ?? 0);
const server = await startFakeOpenAIServer({ latencyMs, record: false });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
