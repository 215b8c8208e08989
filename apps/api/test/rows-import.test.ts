import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ config: { importLimitBytes: 256 * 1024, bodyLimitBytes: 64 * 1024 } });
});
afterAll(async () => {
  await api?.close();
});

async function newDataset(): Promise<number> {
  return (await api.post('/v1/datasets', { name: 'import target' })).body.dataset_id;
}

async function upload(datasetId: number, contentType: string, raw: string | Buffer) {
  return api.request('POST', `/v1/datasets/${datasetId}/rows`, { raw, contentType });
}

async function storedRows(datasetId: number) {
  return api.t.query<{ content: string; expected_prediction: string }>(
    'SELECT content, expected_prediction FROM rows WHERE dataset_id = $1 ORDER BY row_id',
    [datasetId],
  );
}

describe('CSV', () => {
  it('imports quotes, commas, embedded newlines, CRLF and non-ASCII text exactly', async () => {
    const id = await newDataset();
    const csv =
      'content,expected_prediction\r\n' +
      '"He said ""hi"", then left",greeting\r\n' +
      '"line one\nline two",multi\r\n' +
      'Ünïcödé 🙂 日本語,ok\r\n' +
      'tab\there \\ backslash,x\r\n' +
      '\r\n';
    const imported = await upload(id, 'text/csv', csv);
    expect(imported.status).toBe(201);
    expect(imported.body).toEqual({ dataset_id: id, imported: 4, row_count: 4 });
    expect(await storedRows(id)).toEqual([
      { content: 'He said "hi", then left', expected_prediction: 'greeting' },
      { content: 'line one\nline two', expected_prediction: 'multi' },
      { content: 'Ünïcödé 🙂 日本語', expected_prediction: 'ok' },
      { content: 'tab\there \\ backslash', expected_prediction: 'x' },
    ]);
  });

  it('skips a UTF-8 BOM and accepts the columns in any order', async () => {
    const id = await newDataset();
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('expected_prediction,content\nyes,is it?\n'),
    ]);
    const imported = await upload(id, 'text/csv; charset=utf-8', body);
    expect(imported.status).toBe(201);
    expect(await storedRows(id)).toEqual([{ content: 'is it?', expected_prediction: 'yes' }]);
  });

  it('rejects the whole upload when row N is bad, naming the row and the field', async () => {
    const id = await newDataset();
    const rows = Array.from({ length: 5000 }, (_, i) => `row ${i + 1},label`);
    rows[3999] = 'row 4000,'; // empty gold label
    const refused = await upload(
      id,
      'text/csv',
      `content,expected_prediction\n${rows.join('\n')}\n`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    expect(refused.body.error.message).toContain('row 4000');
    expect(refused.body.error.message).toContain('expected_prediction');
    expect(refused.body.error.details[0]).toMatchObject({
      row: 4000,
      field: 'expected_prediction',
    });
    expect(await storedRows(id)).toEqual([]);
    expect((await api.get(`/v1/datasets/${id}`)).body.row_count).toBe(0);
  });

  it('rejects unparseable CSV (wrong field count, unclosed quote) with the row number', async () => {
    const id = await newDataset();
    const extraField = await upload(id, 'text/csv', 'content,expected_prediction\na,b\nc,d,e\n');
    expect(extraField.status).toBe(400);
    expect(extraField.body.error.message).toMatch(/^row 2 \(line 3\): has 3 field\(s\)/);
    const unclosed = await upload(id, 'text/csv', 'content,expected_prediction\na,b\n"open,x\n');
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.error.message).toContain('row 2');
    expect(unclosed.body.error.message).toContain('never closed');
    const badHeader = await upload(id, 'text/csv', 'text,label\na,b\n');
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.message).toContain('must name an expected_prediction column');
    expect(await storedRows(id)).toEqual([]);
  });

  it('rejects an empty upload or a header without rows', async () => {
    const id = await newDataset();
    expect((await upload(id, 'text/csv', '')).status).toBe(400);
    const headerOnly = await upload(id, 'text/csv', 'content,expected_prediction\n');
    expect(headerOnly.status).toBe(400);
    expect(headerOnly.body.error.message).toContain('no rows');
  });
});

describe('NDJSON and JSON', () => {
  it('imports NDJSON, skipping blank lines', async () => {
    const id = await newDataset();
    const ndjson = [
      JSON.stringify({ content: 'a "quoted", comma', expected_prediction: 'x' }),
      '',
      JSON.stringify({ expected_prediction: 'y', content: 'new\nline é' }),
    ].join('\n');
    const imported = await upload(id, 'application/x-ndjson', ndjson);
    expect(imported.status).toBe(201);
    expect(imported.body.imported).toBe(2);
    expect(await storedRows(id)).toEqual([
      { content: 'a "quoted", comma', expected_prediction: 'x' },
      { content: 'new\nline é', expected_prediction: 'y' },
    ]);
  });

  it('names the row and field of a bad NDJSON line (wrong type, missing field, not JSON)', async () => {
    const id = await newDataset();
    const good = JSON.stringify({ content: 'c', expected_prediction: 'e' });
    const wrongType = await upload(
      id,
      'application/x-ndjson',
      [good, good, JSON.stringify({ content: 'c', expected_prediction: 7 })].join('\n'),
    );
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toBe(
      'row 3 (line 3): expected_prediction must be a string, got a number; nothing was imported',
    );
    const missing = await upload(id, 'application/x-ndjson', `${good}\n{"content":"only"}\n`);
    expect(missing.body.error.details[0]).toMatchObject({ row: 2, field: 'expected_prediction' });
    const notJson = await upload(id, 'application/x-ndjson', `${good}\n{"content": oops}\n`);
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toContain('row 2 (line 2): is not valid JSON');
    expect(await storedRows(id)).toEqual([]);
  });

  it('imports a JSON array streamed in small pieces', async () => {
    const id = await newDataset();
    const rows = Array.from({ length: 300 }, (_, i) => ({
      content: `{"tricky": "braces [and] brackets"} ${i} \\ "q"`,
      expected_prediction: `label-${i % 4}`,
    }));
    const text = JSON.stringify(rows, null, 1);
    // Pieces of 7 bytes: elements, strings and escapes are split across chunks.
    const pieces = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) =>
      Buffer.from(text.slice(i * 7, i * 7 + 7)),
    );
    const imported = await api.request('POST', `/v1/datasets/${id}/rows`, {
      raw: Readable.toWeb(Readable.from(pieces)) as ReadableStream,
      contentType: 'application/json',
    });
    expect(imported.status).toBe(201);
    expect(imported.body.imported).toBe(300);
    const stored = await storedRows(id);
    expect(stored[299]).toEqual(rows[299]);
    expect(stored.map((r) => r.content)).toEqual(rows.map((r) => r.content));
  });

  it('rejects a bad JSON array element, an unknown field, or a truncated array', async () => {
    const id = await newDataset();
    const good = { content: 'c', expected_prediction: 'e' };
    const notObject = await api.post(`/v1/datasets/${id}/rows`, [good, 'text']);
    expect(notObject.status).toBe(400);
    expect(notObject.body.error.message).toContain('row 2: must be an object');
    const unknown = await api.post(`/v1/datasets/${id}/rows`, [good, good, { ...good, id: 3 }]);
    expect(unknown.body.error.message).toContain('row 3: id is not a row field');
    const truncated = await upload(
      id,
      'application/json',
      '[{"content":"c","expected_prediction":"e"}',
    );
    expect(truncated.status).toBe(400);
    expect(truncated.body.error.message).toContain('cut off');
    const notArray = await upload(id, 'application/json', '{"content":"c"}');
    expect(notArray.status).toBe(400);
    const nul = await api.post(`/v1/datasets/${id}/rows`, [
      { content: 'a\u0000b', expected_prediction: 'e' },
    ]);
    expect(nul.status).toBe(400);
    expect(nul.body.error.details[0]).toMatchObject({ row: 1, field: 'content' });
    expect(await storedRows(id)).toEqual([]);
  });

  it('rejects bytes that are not UTF-8', async () => {
    const id = await newDataset();
    const latin1 = Buffer.from('content,expected_prediction\ncaf\xe9,x\n', 'latin1');
    const refused = await upload(id, 'text/csv', latin1);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('not valid UTF-8');
  });
});

describe('limits and content types', () => {
  it('answers 415 for a content type it does not import', async () => {
    const id = await newDataset();
    const xml = await upload(id, 'application/xml', '<rows/>');
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(xml.body.error.message).toContain('text/csv');
    expect(
      (await upload(id, 'text/csv; charset=latin1', 'content,expected_prediction\n')).status,
    ).toBe(415);
  });

  it('answers 413 past the upload limit, whether declared or streamed, and stores nothing', async () => {
    const id = await newDataset();
    const line = `${'x'.repeat(200)},label\n`;
    const big = `content,expected_prediction\n${line.repeat(2000)}`; // ~400 KiB > 256 KiB
    const declared = await upload(id, 'text/csv', big);
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    // No Content-Length: the limit is found while streaming, mid-COPY.
    const streamed = await api
      .request('POST', `/v1/datasets/${id}/rows`, {
        raw: Readable.toWeb(Readable.from([Buffer.from(big)])) as ReadableStream,
        contentType: 'text/csv',
      })
      .catch((error: unknown) => ({ status: 0, error }));
    expect([413, 0]).toContain(streamed.status);
    expect(await storedRows(id)).toEqual([]);
  });

  it('rolls back and frees its connection when the client goes away mid-upload', async () => {
    const id = await newDataset();
    const { hostname, port } = new URL(api.url);
    await new Promise<void>((resolve) => {
      const request = httpRequest({
        hostname,
        port,
        method: 'POST',
        path: `/v1/datasets/${id}/rows`,
        headers: { 'content-type': 'text/csv', 'content-length': 200_000 },
      });
      request.on('error', () => resolve());
      request.write(`content,expected_prediction\n${'a,b\n'.repeat(10_000)}`, () => {
        setTimeout(() => {
          request.destroy();
          resolve();
        }, 100);
      });
    });
    await expect
      .poll(async () =>
        api.t.query(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND (state LIKE 'idle in transaction%' OR query LIKE 'COPY%')`,
        ),
      )
      .toEqual([]);
    expect(await storedRows(id)).toEqual([]);
  });

  it('answers 404 for a dataset that does not exist, storing nothing', async () => {
    const countRows = async () =>
      (await api.t.query<{ n: number }>('SELECT count(*)::int AS n FROM rows'))[0]!.n;
    const before = await countRows();
    const missing = await upload(987_654, 'text/csv', 'content,expected_prediction\na,b\n');
    expect(missing.status).toBe(404);
    expect(await countRows()).toBe(before);
  });

  it('appends to a dataset that already has rows', async () => {
    const id = await newDataset();
    await upload(id, 'text/csv', 'content,expected_prediction\na,1\nb,2\n');
    const second = await upload(
      id,
      'application/x-ndjson',
      '{"content":"c","expected_prediction":"3"}\n',
    );
    expect(second.body).toEqual({ dataset_id: id, imported: 1, row_count: 3 });
    const page = await api.get(`/v1/datasets/${id}/rows?limit=2`);
    expect(page.body.items.map((r: { content: string }) => r.content)).toEqual(['a', 'b']);
    const next = await api.get(`/v1/datasets/${id}/rows?limit=2&cursor=${page.body.next_cursor}`);
    expect(next.body.items.map((r: { content: string }) => r.content)).toEqual(['c']);
    expect(next.body.next_cursor).toBeNull();
  });
});

describe('row variables (input)', () => {
  const inputs = async (datasetId: number) =>
    api.t.query<{ content: string; expected_prediction: string; input: unknown }>(
      'SELECT content, expected_prediction, input FROM rows WHERE dataset_id = $1 ORDER BY row_id',
      [datasetId],
    );

  it('makes CSV columns other than content and expected_prediction input keys; dotted headers nest, empty cells are ""', async () => {
    const id = await newDataset();
    const csv =
      'question,content,meta.lang,meta.source,expected_prediction,notes\n' +
      '"Is 7 prime, really?",q1,en,quiz,yes,\n' +
      'Capital of France?,q2,fr,"atlas, 3rd ed.",Paris,"two\nlines"\n';
    const reply = await upload(id, 'text/csv', csv);
    expect(reply.status).toBe(201);
    expect(await inputs(id)).toEqual([
      {
        content: 'q1',
        expected_prediction: 'yes',
        input: { question: 'Is 7 prime, really?', meta: { lang: 'en', source: 'quiz' }, notes: '' },
      },
      {
        content: 'q2',
        expected_prediction: 'Paris',
        input: {
          question: 'Capital of France?',
          meta: { lang: 'fr', source: 'atlas, 3rd ed.' },
          notes: 'two\nlines',
        },
      },
    ]);
    const listed = await api.get(`/v1/datasets/${id}/rows`);
    expect(listed.body.items[0].input).toEqual({
      question: 'Is 7 prime, really?',
      meta: { lang: 'en', source: 'quiz' },
      notes: '',
    });
  });

  it('gives a row without content the JSON text of its input (CSV without a content column, JSON without content)', async () => {
    const csvSet = await newDataset();
    const csv = 'a,expected_prediction,b\n1,x,"say ""hi"""\n';
    expect((await upload(csvSet, 'text/csv', csv)).status).toBe(201);
    const [fromCsv] = await inputs(csvSet);
    expect(fromCsv!.input).toEqual({ a: '1', b: 'say "hi"' });
    expect(JSON.parse(fromCsv!.content)).toEqual({ a: '1', b: 'say "hi"' });

    const jsonSet = await newDataset();
    const rows = [
      { expected_prediction: 'y', input: { question: 'Q?', n: 3, tags: ['a'], none: null } },
      { content: 'own text', expected_prediction: 'z', input: { question: 'R?' } },
      { content: 'no input', expected_prediction: 'w' },
    ];
    expect((await api.post(`/v1/datasets/${jsonSet}/rows`, rows)).status).toBe(201);
    const stored = await inputs(jsonSet);
    expect(stored.map((r) => r.input)).toEqual([rows[0]!.input, { question: 'R?' }, {}]);
    expect(JSON.parse(stored[0]!.content)).toEqual(rows[0]!.input);
    expect(stored.map((r) => r.content).slice(1)).toEqual(['own text', 'no input']);

    const ndjsonSet = await newDataset();
    const ndjson = '{"expected_prediction":"y","input":{"q":"é"}}\n';
    expect((await upload(ndjsonSet, 'application/x-ndjson', ndjson)).status).toBe(201);
    expect((await inputs(ndjsonSet))[0]!.input).toEqual({ q: 'é' });
  });

  it('rejects a bad input or header whole, naming the row and the field', async () => {
    const id = await newDataset();
    const good = { content: 'a', expected_prediction: 'b' };
    const cases: [string, string, string | unknown[], string][] = [
      ['array input', 'json', [{ ...good, input: [1] }], 'row 1: input must be an object'],
      [
        'NUL in input',
        'json',
        [good, { ...good, input: { k: 'x\u0000' } }],
        'row 2: input must not contain NUL',
      ],
      [
        'NUL in a CSV cell',
        'text/csv',
        'content,expected_prediction,k\na,b,c\na,b,"x\u0000"\n',
        'row 2: k must not contain NUL',
      ],
      [
        'neither content nor input',
        'json',
        [{ expected_prediction: 'b' }],
        'row 1: content is missing',
      ],
      ['a key twice', 'text/csv', 'content,expected_prediction,a.b,a\nx,y,1,2\n', 'input key "a"'],
      [
        'an empty key',
        'text/csv',
        'content,expected_prediction,meta.\nx,y,1\n',
        'has an empty key',
      ],
      [
        'no content, no input',
        'text/csv',
        'expected_prediction\ny\n',
        'must name a content column',
      ],
    ];
    for (const [what, type, body, message] of cases) {
      const reply =
        type === 'json'
          ? await api.post(`/v1/datasets/${id}/rows`, body)
          : await upload(id, type, body as string);
      expect(reply.status, what).toBe(400);
      expect(reply.body.error.message, what).toContain(message);
    }
    expect(await storedRows(id)).toEqual([]);
  });
});
