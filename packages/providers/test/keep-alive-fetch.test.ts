import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeepAliveFetch } from '@evalq/providers';

// The fetch the provider SDKs run on: what it must get right for them.

let server: Server;
let base: string;
const seen: { method: string; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/gzip') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'x-request-id': 'r1',
        });
        res.end(gzipSync(JSON.stringify({ ok: true })));
      } else if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2_000);
      } else {
        res.writeHead(418, { 'retry-after': '3' });
        res.end('teapot');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('keep-alive fetch', () => {
  const fetchImpl = createKeepAliveFetch();

  it('sends method, headers and body, and decodes a compressed answer', async () => {
    const response = await fetchImpl(`${base}/gzip`, {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json', authorization: 'Bearer k' }),
      body: '{"q":1}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      body: '{"q":1}',
      headers: { authorization: 'Bearer k', 'content-length': '7', connection: 'keep-alive' },
    });
  });

  it('returns error statuses with their headers and body, and 204 without a body', async () => {
    const teapot = await fetchImpl(`${base}/other`, { method: 'GET', headers: [['x-a', '1']] });
    expect([
      teapot.status,
      teapot.ok,
      teapot.headers.get('retry-after'),
      await teapot.text(),
    ]).toEqual([418, false, '3', 'teapot']);
    expect(seen.at(-1)!.headers['x-a']).toBe('1');
    const empty = await fetchImpl(`${base}/empty`, { method: 'DELETE', headers: { 'x-b': '2' } });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('reads a body once, as text, JSON, bytes or a stream, like any Response', async () => {
    const asJson = await fetchImpl(`${base}/gzip`, { method: 'GET' });
    expect(asJson.bodyUsed).toBe(false);
    expect(await asJson.json()).toEqual({ ok: true });
    expect(asJson.bodyUsed).toBe(true);
    await expect(asJson.text()).rejects.toThrow(TypeError);

    const asBytes = await fetchImpl(`${base}/other`, { method: 'GET' });
    expect(Buffer.from(await asBytes.arrayBuffer()).toString()).toBe('teapot');

    const asStream = await fetchImpl(`${base}/other`, { method: 'GET' });
    const chunks: Uint8Array[] = [];
    for await (const chunk of asStream.body!) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('teapot');
    expect(asStream.bodyUsed).toBe(true);
  });

  it('rejects with an AbortError when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = fetchImpl(`${base}/slow`, { method: 'GET', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(fetchImpl(`${base}/slow`, { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('rejects with the connection error when nothing listens', async () => {
    await expect(fetchImpl('http://127.0.0.1:9/', {})).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
