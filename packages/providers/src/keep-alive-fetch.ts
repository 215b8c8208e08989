import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';

export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

const decoders: Record<string, (buffer: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` for the provider SDKs over node:http(s) with keep-alive agents. It does
 * what the SDKs need (one request with a string or byte body, a buffered answer, abort
 * through the signal) at a fraction of the CPU of the built-in fetch, which matters
 * when a worker makes thousands of calls a second. Anything it does not handle (a
 * streamed request body, a Request object) goes to the built-in fetch.
 */
export function createKeepAliveFetch(options: { maxSockets?: number } = {}): FetchFunction {
  return createClosableKeepAliveFetch(options).fetch;
}

/** The same fetch, and a way to close its idle connections (a throwaway pool). */
export function createClosableKeepAliveFetch(options: { maxSockets?: number } = {}): {
  fetch: FetchFunction;
  close: () => void;
} {
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 1_000,
    maxSockets: options.maxSockets ?? Number.POSITIVE_INFINITY,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);

  const close = (): void => {
    httpAgent.destroy();
    httpsAgent.destroy();
  };
  return { fetch: keepAliveFetch, close };

  function keepAliveFetch(
    input: string | URL | Request,
    init: RequestInit = {},
  ): Promise<Response> {
    const body = init.body;
    const simpleBody =
      body === undefined ||
      body === null ||
      typeof body === 'string' ||
      body instanceof Uint8Array ||
      body instanceof ArrayBuffer;
    if (input instanceof Request || !simpleBody) return fetch(input, init);

    const url = typeof input === 'string' ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal));

    return new Promise<Response>((resolve, reject) => {
      const headers = plainHeaders(init.headers);
      // A string body stays a string: node:http then sends the head and the body in one
      // write (a Buffer goes as a second chunk of a writev).
      let payload: Buffer | string | undefined;
      if (typeof body === 'string') payload = body;
      else if (body instanceof Uint8Array)
        payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      else if (body instanceof ArrayBuffer) payload = Buffer.from(body);
      if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));

      const secure = url.protocol === 'https:';
      const send = secure ? httpsRequest : httpRequest;
      const req = send(
        url,
        { method: init.method ?? 'GET', headers, agent: secure ? httpsAgent : httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            signal?.removeEventListener('abort', onAbort);
            toResponse(res, Buffer.concat(chunks)).then(resolve, reject);
          });
        },
      );
      function fail(error: Error): void {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      }
      function onAbort(): void {
        const error = abortError(signal);
        req.destroy(error);
        reject(error);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end(payload);
    });
  }
}

async function toResponse(res: IncomingMessage, raw: Buffer): Promise<Response> {
  const status = res.statusCode ?? 502;
  // Name/value pairs straight from the wire: the Response builds its Headers once.
  const pairs: [string, string][] = [];
  const rawHeaders = res.rawHeaders;
  let encoding: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    if (name.length === 16 && name.toLowerCase() === 'content-encoding') {
      encoding = value.trim().toLowerCase();
      continue;
    }
    pairs.push([name, value]);
  }
  let body: Buffer = raw;
  const decode = encoding ? decoders[encoding] : undefined;
  if (encoding !== undefined && !decode) pairs.push(['content-encoding', encoding]);
  if (decode && raw.byteLength > 0) {
    body = await decode(raw);
    for (const pair of pairs)
      if (pair[0].toLowerCase() === 'content-length') pair[1] = String(body.byteLength);
  }
  const init = { status, statusText: res.statusMessage ?? '', headers: pairs };
  if (NULL_BODY_STATUSES.has(status)) return new Response(null, init);
  return bufferedResponse(body, init);
}

/**
 * A Response over a body already in memory. `json()` and `text()` (all the SDKs call
 * for a non-streamed answer) decode the buffer directly: a Response built on the
 * buffer would wrap it in a web ReadableStream and read it back through the stream
 * machinery, a sizeable share of a call's CPU. `body`, `arrayBuffer()` and the rest
 * come from a real Response, built the first time one of them is used.
 */
function bufferedResponse(body: Buffer, init: ResponseInit): Response {
  const response = new Response(null, init);
  let used = false;
  let full: Response | undefined;
  const real = (): Response => (full ??= new Response(body, init));
  const take = (): Buffer => {
    if (used) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
    return body;
  };
  Object.defineProperties(response, {
    bodyUsed: { get: () => used || (full?.bodyUsed ?? false) },
    body: { get: () => real().body },
    text: { value: () => Promise.resolve().then(() => take().toString('utf8')) },
    json: {
      value: () => Promise.resolve().then(() => JSON.parse(take().toString('utf8')) as unknown),
    },
    arrayBuffer: { value: () => real().arrayBuffer() },
    blob: { value: () => real().blob() },
    formData: { value: () => real().formData() },
    clone: { value: () => real().clone() },
  });
  return response;
}

/** Request headers as a plain object, without building a Headers when they already are one. */
function plainHeaders(init: RequestInit['headers']): Record<string, string> {
  if (init === undefined) return {};
  if (init instanceof Headers) {
    const headers: Record<string, string> = {};
    init.forEach((value, name) => {
      headers[name] = value;
    });
    return headers;
  }
  if (Array.isArray(init)) {
    const headers: Record<string, string> = {};
    for (const [name, value] of init)
      if (name !== undefined && value !== undefined) headers[name] = value;
    return headers;
  }
  return { ...(init as Record<string, string>) };
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

let shared: FetchFunction | undefined;

/** One keep-alive fetch (one pair of connection pools) for every client of this process. */
export function sharedKeepAliveFetch(): FetchFunction {
  shared ??= createKeepAliveFetch();
  return shared;
}
