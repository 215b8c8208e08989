import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '@evalq/core';
import {
  createFakeBatchApi,
  DEFAULT_BATCH_BEHAVIOUR,
  type FakeBatch,
  type FakeBatchBehaviour,
  type FakeFile,
} from './fake-batch-api.js';

/**
 * How a fake model server behaves; every field can be changed while it runs with
 * `configure`. Failures are drawn per request from a seeded generator, so a run is
 * repeatable given the same request order.
 */
export interface FakeServerBehaviour extends FakeBatchBehaviour {
  /** Delay before each answer (errors included), in ms. */
  latencyMs: number;
  /** Fraction of requests answered 500. */
  errorRate: number;
  /** Fraction of requests answered 429. */
  rateLimitRate: number;
  /** Sent with each 429 as `retry-after-ms`, when set. */
  retryAfterMs: number | undefined;
  /** Sent with each 429 as `Retry-After` (seconds), when set. */
  retryAfterSeconds: number | undefined;
  /** When set, every request is answered with this status (e.g. 400) and an error body. */
  failWith: number | undefined;
  /** The completion text for a prompt; by default the prompt itself (an echo). */
  respond: (prompt: string, model: string) => string;
  /** The prompt token count reported; by default the prompt's word count. */
  promptTokens: (prompt: string) => number;
  /** Keep a record of every request (timestamps, prompt, status). */
  record: boolean;
}

export interface RecordedRequest {
  /** When the request arrived: ms since the epoch, sub-millisecond precision. */
  at: number;
  model: string;
  prompt: string;
  status: number;
  /** The Authorization header, as sent (tests check it; never log it). */
  authorization: string | undefined;
  /** The parsed request body (model options such as temperature). */
  body: Record<string, unknown>;
  /** Which TCP connection carried it (1 for the first accepted, and so on): keep-alive shows as reuse. */
  connection: number;
}

export interface FakeModelServer {
  /** The base URL a client is configured with (`/v1` for OpenAI, the host for Ollama). */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Requests answered so far, recorded or not. */
  readonly requestCount: number;
  /** TCP connections accepted so far (keep-alive reuses them). */
  readonly connectionCount: number;
  /** Requests being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly peakInFlight: number;
  /**
   * The sum of every answered request's time in flight (arrival to answer), ms: divided
   * by a span of time, the average number of requests in flight over it.
   */
  readonly inFlightMs: number;
  /** When the first request arrived and the first answer was sent (ms since the epoch), if yet. */
  readonly firstRequestAt: number | undefined;
  readonly firstAnswerAt: number | undefined;
  /** Files uploaded to (and written by) the Batch API (fake-batch-api.ts; OpenAI flavour). */
  readonly files: readonly FakeFile[];
  /** Batches created through the Batch API, with their status. */
  readonly batches: readonly FakeBatch[];
  /** How many times the Batch API's files and batches were listed. */
  readonly batchListings: { readonly files: number; readonly batches: number };
  configure(changes: Partial<FakeServerBehaviour>): void;
  /** Forgets recorded requests and counters. */
  reset(): void;
  close(): Promise<void>;
}

export type FakeServerOptions = Partial<FakeServerBehaviour> & {
  /** Seed of the failure draws. */
  seed?: number;
  /** 0 picks a free port. */
  port?: number;
};

interface Flavour {
  /** Whether it serves OpenAI's Files and Batch APIs too. */
  batchApi: boolean;
  /** Answers for this path, or undefined for a 404. */
  match(path: string): boolean;
  prompt(body: Record<string, unknown>): string;
  success(model: string, promptTokens: number, text: string): string;
  error(status: number, message: string): string;
  baseUrl(port: number): string;
}

const openAIFlavour: Flavour = {
  batchApi: true,
  match: (path) => path === '/v1/chat/completions' || path === '/chat/completions',
  prompt(body) {
    const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
    const last = messages[messages.length - 1] as { content?: unknown } | undefined;
    return typeof last?.content === 'string' ? last.content : '';
  },
  success(model, promptTokens, text) {
    return JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: countWords(text),
        total_tokens: promptTokens + countWords(text),
      },
    });
  },
  error: (status, message) =>
    JSON.stringify({
      error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'fake_error', code: null },
    }),
  baseUrl: (port) => `http://127.0.0.1:${port}/v1`,
};

const ollamaFlavour: Flavour = {
  batchApi: false,
  match: (path) => path === '/api/chat',
  prompt: (body) => openAIFlavour.prompt(body),
  success(model, promptTokens, text) {
    return JSON.stringify({
      model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: text },
      done: true,
      done_reason: 'stop',
      total_duration: 1000,
      load_duration: 0,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: 500,
      eval_count: countWords(text),
      eval_duration: 500,
    });
  },
  error: (_status, message) => JSON.stringify({ error: message }),
  baseUrl: (port) => `http://127.0.0.1:${port}`,
};

/** A fake OpenAI-compatible server (`POST /v1/chat/completions`), for the real openai SDK. */
export function startFakeOpenAIServer(options: FakeServerOptions = {}): Promise<FakeModelServer> {
  return startFakeServer(openAIFlavour, options);
}

/** A fake Ollama server (`POST /api/chat`), for the real ollama SDK. */
export function startFakeOllamaServer(options: FakeServerOptions = {}): Promise<FakeModelServer> {
  return startFakeServer(ollamaFlavour, options);
}

const JSON_HEADERS = { 'content-type': 'application/json' };

async function startFakeServer(
  flavour: Flavour,
  options: FakeServerOptions,
): Promise<FakeModelServer> {
  const behaviour: FakeServerBehaviour = {
    latencyMs: 0,
    errorRate: 0,
    rateLimitRate: 0,
    retryAfterMs: undefined,
    retryAfterSeconds: undefined,
    failWith: undefined,
    respond: (prompt) => prompt,
    promptTokens: countWords,
    record: true,
    ...DEFAULT_BATCH_BEHAVIOUR,
    ...stripUndefined(options),
  };
  const random = seededRandom(options.seed ?? 1);
  let requests: RecordedRequest[] = [];
  let requestCount = 0;
  let connectionCount = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let inFlightMs = 0;
  let firstRequestAt: number | undefined;
  let firstAnswerAt: number | undefined;

  const connectionIds = new WeakMap<object, number>();
  const batchApi = createFakeBatchApi(
    () => behaviour,
    (body) => {
      const model = typeof body.model === 'string' ? body.model : '';
      const prompt = flavour.prompt(body);
      const text = behaviour.respond(prompt, model);
      return JSON.parse(flavour.success(model, behaviour.promptTokens(prompt), text)) as Record<
        string,
        unknown
      >;
    },
  );

  function answer(req: IncomingMessage, res: ServerResponse, raw: string, at: number): void {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // answered 400 below
    }
    const model = typeof body.model === 'string' ? body.model : '';
    const prompt = flavour.prompt(body);
    let status = 200;
    let payload: string;
    const headers: Record<string, string> = { ...JSON_HEADERS };
    const draw = random();
    if (!flavour.match(req.url ?? '')) {
      status = 404;
      payload = flavour.error(404, `no route ${req.method} ${req.url}`);
    } else if (model === '') {
      status = 400;
      payload = flavour.error(400, 'model is required');
    } else if (behaviour.failWith !== undefined) {
      status = behaviour.failWith;
      payload = flavour.error(status, `the fake server answers ${status} to every request`);
    } else if (draw < behaviour.errorRate) {
      status = 500;
      payload = flavour.error(500, 'the fake server failed on purpose');
    } else if (draw < behaviour.errorRate + behaviour.rateLimitRate) {
      status = 429;
      payload = flavour.error(429, 'rate limit reached (fake)');
      if (behaviour.retryAfterMs !== undefined)
        headers['retry-after-ms'] = String(behaviour.retryAfterMs);
      if (behaviour.retryAfterSeconds !== undefined) {
        headers['retry-after'] = String(behaviour.retryAfterSeconds);
      }
    } else {
      payload = flavour.success(
        model,
        behaviour.promptTokens(prompt),
        behaviour.respond(prompt, model),
      );
    }
    requestCount += 1;
    if (behaviour.record) {
      requests.push({
        at,
        model,
        prompt,
        status,
        authorization: req.headers.authorization,
        body,
        connection: connectionIds.get(req.socket) ?? 0,
      });
    }
    const send = (): void => {
      inFlight -= 1;
      const answeredAt = performance.timeOrigin + performance.now();
      inFlightMs += answeredAt - at;
      firstAnswerAt ??= answeredAt;
      res.writeHead(status, headers);
      res.end(payload);
    };
    if (behaviour.latencyMs > 0) setTimeout(send, behaviour.latencyMs);
    else send();
  }

  const server: Server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const at = performance.timeOrigin + performance.now();
    firstRequestAt ??= at;
    inFlight += 1;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (flavour.batchApi && batchApi.handles(req.url ?? '')) {
        requestCount += 1;
        void batchApi.answer(req, res, body).finally(() => (inFlight -= 1));
        return;
      }
      answer(req, res, body.toString('utf8'), at);
    });
  });
  let connectionsEver = 0;
  server.on('connection', (socket) => {
    connectionCount += 1;
    connectionsEver += 1;
    connectionIds.set(socket, connectionsEver);
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: flavour.baseUrl(port),
    port,
    get requests() {
      return requests;
    },
    get requestCount() {
      return requestCount;
    },
    get files() {
      return batchApi.files;
    },
    get batches() {
      return batchApi.batches;
    },
    get batchListings() {
      return batchApi.listed;
    },
    get connectionCount() {
      return connectionCount;
    },
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    get inFlightMs() {
      return inFlightMs;
    },
    get firstRequestAt() {
      return firstRequestAt;
    },
    get firstAnswerAt() {
      return firstAnswerAt;
    },
    configure(changes) {
      Object.assign(behaviour, stripUndefined(changes));
      for (const key of ['retryAfterMs', 'retryAfterSeconds', 'failWith'] as const) {
        if (key in changes && changes[key] === undefined) behaviour[key] = undefined;
      }
    },
    reset() {
      requests = [];
      requestCount = 0;
      connectionCount = 0;
      peakInFlight = inFlight;
      inFlightMs = 0;
      firstRequestAt = undefined;
      firstAnswerAt = undefined;
      batchApi.reset();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) words += 1;
    inWord = !space;
  }
  return words;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
