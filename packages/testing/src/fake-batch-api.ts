import type { IncomingMessage, ServerResponse } from 'node:http';

/** How the fake Batch API behaves; part of the fake server's behaviour (fake-model-server.ts). */
export interface FakeBatchBehaviour {
  /** Time from a batch's creation until it is completed (or expired, or failed), in ms. */
  batchDelayMs: number;
  /** How a batch ends once its delay is over. */
  batchOutcome: 'completed' | 'expired' | 'failed';
  /** Lines for which this answers true go to the error file instead of the output file. */
  batchLineFails: (customId: string, prompt: string) => boolean;
  /**
   * Delay before an uploaded file is kept; an upload whose client is gone by then (a
   * killed worker) is dropped, as if it never arrived.
   */
  uploadStallMs: number;
  /** Delay before answering a file upload; the file exists from the start (a crash window). */
  uploadDelayMs: number;
  /** Delay before answering a batch create; the batch exists from the start. */
  createDelayMs: number;
}

export const DEFAULT_BATCH_BEHAVIOUR: FakeBatchBehaviour = {
  batchDelayMs: 0,
  batchOutcome: 'completed',
  batchLineFails: () => false,
  uploadStallMs: 0,
  uploadDelayMs: 0,
  createDelayMs: 0,
};

export interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  content: string;
  created_at: number;
  /** Deleted through `DELETE /v1/files/:id`: kept here, as the provider's audit log would. */
  deleted?: boolean;
}

export interface FakeBatch {
  id: string;
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata: Record<string, string> | null;
  created_at: number;
  /** Epoch ms when the batch ends (completed, expired or failed). */
  endsAt: number;
  status:
    | 'validating'
    | 'in_progress'
    | 'finalizing'
    | 'completed'
    | 'expired'
    | 'failed'
    | 'cancelling'
    | 'cancelled';
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
  cancelled: boolean;
}

/** Answers one chat completion request body as the fake server would (the output line's body). */
export type CompletionAnswer = (body: Record<string, unknown>) => Record<string, unknown>;

export interface FakeBatchApi {
  /** Every file ever stored, deleted ones included (marked `deleted`). */
  readonly files: readonly FakeFile[];
  readonly batches: readonly FakeBatch[];
  /** How many times files and batches were listed (what a client does to find one again). */
  readonly listed: { readonly files: number; readonly batches: number };
  /** True when this request is the Batch API's (files or batches). */
  handles(path: string): boolean;
  answer(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
  reset(): void;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * OpenAI's Files and Batch APIs in memory: `POST /v1/files` (multipart, purpose batch),
 * `GET /v1/files`, `GET /v1/files/:id`, `GET /v1/files/:id/content`, `POST /v1/batches`,
 * `GET /v1/batches`, `GET /v1/batches/:id`, `POST /v1/batches/:id/cancel`. A batch's
 * status follows the clock: in progress until `batchDelayMs` has passed, then it ends
 * as `batchOutcome` says, its lines answered like chat completions (error lines to the
 * error file).
 */
export function createFakeBatchApi(
  behaviour: () => FakeBatchBehaviour,
  complete: CompletionAnswer,
): FakeBatchApi {
  let files: FakeFile[] = [];
  const listed = { files: 0, batches: 0 };
  let batches: FakeBatch[] = [];
  let sequence = 0;
  const nextId = (prefix: string): string => `${prefix}-fake-${(sequence += 1)}`;
  const seconds = (): number => Math.floor(Date.now() / 1000);

  function fileObject(file: FakeFile): Record<string, unknown> {
    return {
      id: file.id,
      object: 'file',
      bytes: Buffer.byteLength(file.content),
      created_at: file.created_at,
      filename: file.filename,
      purpose: file.purpose,
      status: 'processed',
    };
  }

  function batchObject(batch: FakeBatch): Record<string, unknown> {
    advance(batch);
    return {
      id: batch.id,
      object: 'batch',
      endpoint: batch.endpoint,
      input_file_id: batch.input_file_id,
      completion_window: batch.completion_window,
      status: batch.status,
      output_file_id: batch.output_file_id,
      error_file_id: batch.error_file_id,
      created_at: batch.created_at,
      metadata: batch.metadata,
      request_counts: batch.request_counts,
      errors: null,
    };
  }

  /** Moves a batch along the clock; at its end, writes the output and error files. */
  function advance(batch: FakeBatch): void {
    if (batch.status !== 'validating' && batch.status !== 'in_progress') return;
    if (Date.now() < batch.endsAt) {
      batch.status = 'in_progress';
      return;
    }
    const { batchOutcome, batchLineFails } = behaviour();
    if (batchOutcome !== 'completed') {
      batch.status = batchOutcome;
      return;
    }
    const input = files.find((file) => file.id === batch.input_file_id);
    const outputs: string[] = [];
    const errors: string[] = [];
    for (const line of (input?.content ?? '').split('\n')) {
      if (line.trim() === '') continue;
      const request = JSON.parse(line) as { custom_id: string; body: Record<string, unknown> };
      const id = nextId('batch_req');
      if (batchLineFails(request.custom_id, lastMessage(request.body))) {
        errors.push(
          JSON.stringify({
            id,
            custom_id: request.custom_id,
            response: {
              status_code: 500,
              request_id: id,
              body: { error: { message: 'the fake server failed this line on purpose' } },
            },
            error: null,
          }),
        );
      } else {
        outputs.push(
          JSON.stringify({
            id,
            custom_id: request.custom_id,
            response: { status_code: 200, request_id: id, body: complete(request.body) },
            error: null,
          }),
        );
      }
    }
    batch.request_counts = {
      total: outputs.length + errors.length,
      completed: outputs.length,
      failed: errors.length,
    };
    batch.output_file_id = outputs.length > 0 ? storeFile('output.jsonl', outputs) : null;
    batch.error_file_id = errors.length > 0 ? storeFile('errors.jsonl', errors) : null;
    batch.status = 'completed';
  }

  function storeFile(filename: string, lines: string[]): string {
    const id = nextId('file');
    files.push({
      id,
      filename,
      purpose: 'batch_output',
      content: `${lines.join('\n')}\n`,
      created_at: seconds(),
    });
    return id;
  }

  function send(res: ServerResponse, status: number, body: unknown, delayMs = 0): void {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const write = (): void => {
      res.writeHead(status, JSON_HEADERS);
      res.end(payload);
    };
    if (delayMs > 0) setTimeout(write, delayMs);
    else write();
  }

  function notFound(res: ServerResponse, what: string): void {
    send(res, 404, { error: { message: `no such ${what}`, type: 'invalid_request_error' } });
  }

  async function createFile(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const form = await new Response(body, {
      headers: { 'content-type': req.headers['content-type'] ?? '' },
    }).formData();
    const upload = form.get('file');
    const purpose = form.get('purpose');
    if (typeof upload === 'string' || upload === null || purpose !== 'batch') {
      send(res, 400, { error: { message: 'file and purpose=batch are required' } });
      return;
    }
    const stall = behaviour().uploadStallMs;
    if (stall > 0) {
      await new Promise((resolve) => setTimeout(resolve, stall));
      if (res.destroyed || req.socket.destroyed) return;
    }
    const file: FakeFile = {
      id: nextId('file'),
      filename: upload.name,
      purpose,
      content: await upload.text(),
      created_at: seconds(),
    };
    files.push(file);
    send(res, 200, fileObject(file), behaviour().uploadDelayMs);
  }

  function createBatch(res: ServerResponse, body: Buffer): void {
    const params = JSON.parse(body.toString('utf8')) as {
      input_file_id?: string;
      endpoint?: string;
      completion_window?: string;
      metadata?: Record<string, string> | null;
    };
    const input = files.find((file) => file.id === params.input_file_id && !file.deleted);
    if (!input || input.purpose !== 'batch') {
      send(res, 400, { error: { message: 'input_file_id names no batch file' } });
      return;
    }
    const total = input.content.split('\n').filter((line) => line.trim() !== '').length;
    const batch: FakeBatch = {
      id: nextId('batch'),
      input_file_id: input.id,
      endpoint: params.endpoint ?? '/v1/chat/completions',
      completion_window: params.completion_window ?? '24h',
      metadata: params.metadata ?? null,
      created_at: seconds(),
      endsAt: Date.now() + behaviour().batchDelayMs,
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      request_counts: { total, completed: 0, failed: 0 },
      cancelled: false,
    };
    batches.push(batch);
    send(res, 200, batchObject(batch), behaviour().createDelayMs);
  }

  function list<T>(items: T[], url: URL, object: (item: T) => Record<string, unknown>) {
    const limit = Number(url.searchParams.get('limit') ?? 20);
    const after = url.searchParams.get('after');
    // Newest first, as OpenAI lists them.
    const all = [...items].reverse().map(object);
    const start = after === null ? 0 : all.findIndex((item) => item.id === after) + 1;
    const data = all.slice(start, start + limit);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: start + limit < all.length,
    };
  }

  async function answer(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const parts = url.pathname.replace(/^\/v1/, '').split('/').filter(Boolean);
    const [kind, id, action] = parts;
    const post = req.method === 'POST';
    if (kind === 'files') {
      if (post && id === undefined) return createFile(req, res, body);
      if (id === undefined) {
        listed.files += 1;
        const purpose = url.searchParams.get('purpose');
        const matching = files.filter(
          (file) => !file.deleted && (purpose === null || file.purpose === purpose),
        );
        return send(res, 200, list(matching, url, fileObject));
      }
      const file = files.find((candidate) => candidate.id === id && !candidate.deleted);
      if (!file) return notFound(res, 'file');
      if (action === 'content') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(file.content);
        return;
      }
      if (req.method === 'DELETE') {
        file.deleted = true;
        return send(res, 200, { id, object: 'file', deleted: true });
      }
      return send(res, 200, fileObject(file));
    }
    if (post && id === undefined) return createBatch(res, body);
    if (id === undefined) {
      listed.batches += 1;
      return send(res, 200, list(batches, url, batchObject));
    }
    const batch = batches.find((candidate) => candidate.id === id);
    if (!batch) return notFound(res, 'batch');
    if (post && action === 'cancel') {
      advance(batch);
      if (batch.status === 'validating' || batch.status === 'in_progress') {
        batch.status = 'cancelled';
        batch.cancelled = true;
      }
    }
    return send(res, 200, batchObject(batch));
  }

  return {
    get files() {
      return files;
    },
    get batches() {
      return batches;
    },
    listed,
    handles: (path) => /^\/(v1\/)?(files|batches)(\/|\?|$)/.test(path),
    answer: async (req, res, body) => {
      try {
        await answer(req, res, body);
      } catch (error) {
        send(res, 400, { error: { message: (error as Error).message } });
      }
    },
    reset() {
      files = [];
      batches = [];
      listed.files = 0;
      listed.batches = 0;
    },
  };
}

function lastMessage(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const last = messages[messages.length - 1] as { content?: unknown } | undefined;
  return typeof last?.content === 'string' ? last.content : '';
}
