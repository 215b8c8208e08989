/**
 * Every call the page makes to the API. It sends the token when there is one, and on a
 * 401 asks for one (a single question, however many requests were refused at once),
 * then retries. Lists that are read again and again (jobs, leaderboards) are
 * revalidated with their ETag: an unchanged answer is a 304 with no body.
 */

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

async function toApiError(response) {
  let code = 'HTTP_ERROR';
  let message = `the API answered ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = String(body.error.code);
      message = String(body.error.message);
    }
  } catch {
    // not a JSON error body
  }
  return new ApiError(response.status, code, message);
}

export function createApiClient({ tokens, askForToken }) {
  /** path → { etag, body } of the last 200 answer, for If-None-Match. */
  const validated = new Map();
  let renewing = null;

  function withToken(headers) {
    const token = tokens.get();
    return token ? { ...headers, authorization: `Bearer ${token}` } : headers;
  }

  async function renewToken(refused) {
    // Another request already replaced the token that was refused: just retry.
    if (tokens.get() !== refused) return;
    renewing ??= askForToken(
      refused
        ? 'The API refused that token. Enter the API_TOKEN the server was started with.'
        : 'This API needs a token (its API_TOKEN). It is kept for this browser tab only.',
    )
      .then((token) => tokens.set(token))
      .finally(() => {
        renewing = null;
      });
    await renewing;
  }

  async function send(path, init = {}) {
    for (;;) {
      const token = tokens.get();
      // no-store: the page does its own revalidation, and sees 304s as they are.
      const response = await fetch(path, {
        ...init,
        cache: 'no-store',
        headers: withToken(init.headers ?? {}),
      });
      if (response.status !== 401) return response;
      await response.body?.cancel();
      await renewToken(token);
    }
  }

  /**
   * GET a JSON body. With `revalidate`, the last answer's ETag is sent and a 304 gives
   * back that answer's body with `changed: false`.
   */
  async function getJson(path, { revalidate = false, signal } = {}) {
    const previous = revalidate ? validated.get(path) : undefined;
    const headers = previous ? { 'if-none-match': previous.etag } : {};
    const response = await send(path, { headers, signal });
    if (response.status === 304 && previous) return { body: previous.body, changed: false };
    if (!response.ok) throw await toApiError(response);
    const body = await response.json();
    const etag = response.headers.get('etag');
    if (revalidate && etag) validated.set(path, { etag, body });
    return { body, changed: true };
  }

  /** Every page of a list (`{items, next_cursor}`), following cursors to the end. */
  async function getAllPages(path, options = {}) {
    const items = [];
    let changed = false;
    let cursor = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const url =
        cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`;
      const page = await getJson(url, options);
      for (const item of page.body.items) items.push(item);
      changed ||= page.changed;
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    return { items, changed };
  }

  /** A write (POST, DELETE) with an optional JSON body; the answer's JSON, or an ApiError. */
  async function sendJson(method, path, body) {
    const init = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const response = await send(path, init);
    if (!response.ok) throw await toApiError(response);
    return response.json();
  }

  /** An open text/event-stream response, read with fetch so the token goes in a header. */
  async function openEventStream(path, signal) {
    const response = await send(path, { headers: { accept: 'text/event-stream' }, signal });
    if (!response.ok) throw await toApiError(response);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !response.body) {
      await response.body?.cancel();
      throw new ApiError(
        response.status,
        'NOT_AN_EVENT_STREAM',
        `${path} did not answer with events`,
      );
    }
    return response;
  }

  return { getJson, getAllPages, sendJson, openEventStream };
}
