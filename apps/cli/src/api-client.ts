import { ApiRequestError } from './api-request-error.js';

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, e.g. a file stream; give its content type and, when known, its length. */
  body?: ReadableStream<Uint8Array>;
  contentType?: string;
  contentLength?: number;
  headers?: Record<string, string>;
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

/**
 * The evalq API over HTTP, for the CLI. Every failure becomes an ApiRequestError whose
 * message a person can act on: the API is down, the token is wrong, or what the API
 * said was wrong with the request.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** Sends a request and returns the raw response when it succeeded (2xx or 304). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | ReadableStream<Uint8Array> | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.body) {
      body = options.body;
      if (options.contentType) headers['content-type'] = options.contentType;
      if (options.contentLength !== undefined)
        headers['content-length'] = String(options.contentLength);
    }

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body,
        // Node's fetch streams a request body only when told so.
        ...(body instanceof ReadableStream && { duplex: 'half' }),
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    if (response.ok || response.status === 304) return response;
    throw await this.failure(method, url, response);
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    return (await response.json()) as T;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T>(path: string, json?: unknown): Promise<T> {
    return this.json<T>('POST', path, { json });
  }

  private unreachable(error: unknown): ApiRequestError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return new ApiRequestError(
      `cannot reach the API at ${this.baseUrl} (${why}): is \`npm run api\` (or \`evalq api\`) running? ` +
        'Set EVALQ_API_URL if it listens elsewhere.',
      { code: 'API_UNREACHABLE', cause: error },
    );
  }

  private async failure(method: string, url: URL, response: Response): Promise<ApiRequestError> {
    const text = await response.text().catch(() => '');
    let parsed: ErrorBody = {};
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      // Not our error shape (a proxy, another service on that port): show it as text.
    }
    const said = parsed.error?.message ?? (text.slice(0, 300) || response.statusText);
    const where = `${method} ${url.pathname}`;
    if (response.status === 401) {
      return new ApiRequestError(
        `the API at ${this.baseUrl} refused the request (${said}): set API_TOKEN to the API's token`,
        { status: 401, code: 'UNAUTHORIZED' },
      );
    }
    if (response.status >= 500) {
      const requestId = response.headers.get('x-request-id');
      return new ApiRequestError(
        `the API failed on ${where} (${response.status}): ${said}` +
          (requestId ? `; its log has the details under request id ${requestId}` : ''),
        { status: response.status },
      );
    }
    return new ApiRequestError(said, {
      status: response.status,
      code: parsed.error?.code,
      details: parsed.error?.details,
    });
  }
}
