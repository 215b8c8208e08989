import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseUrl,
  deleteKeysWithPrefix,
  startWorkerProcess,
  TEST_REDIS_URL,
  TEST_SERVER_URL,
  uniqueQueuePrefix,
  type WorkerProcess,
  requireRedis,
} from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// There is no Docker engine here, so this runs evalq the way the Dockerfile's runtime
// stage lays it out: the built tree with every src/ and test/ folder and source map
// removed, and the workspace packages linked into node_modules from that tree. A
// process that reads a file from src/ at run time (a Lua script, a dashboard asset,
// a migration) fails here as it would in the image.

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

let image: string;
let main: string;
const name = `evalq_t_${Math.floor(Date.now() / 1000)}_image`;
const prefix = uniqueQueuePrefix('image');
const env = {
  DATABASE_URL: databaseUrl(name),
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: prefix,
  LOG_LEVEL: 'warn',
};
let worker: WorkerProcess | undefined;
let api: ChildProcess | undefined;

/** The Dockerfile's runtime stage, as a folder. */
async function layOutImage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'evalq-image-'));
  const dropped = new Set(['src', 'test']);
  // A workspace's own node_modules (a version that could not be hoisted, e.g. ajv 8
  // beside eslint's ajv 6) is part of the image, as `COPY … /app/packages` copies it.
  const workspaceModules = /^(packages|apps)\/[^/]+\/node_modules(\/|$)/;
  const filter = (source: string) => {
    const relative = source.slice(repo.length);
    if (basename(source) === 'node_modules' || relative.includes('/node_modules/')) {
      return workspaceModules.test(relative);
    }
    return (
      !dropped.has(basename(source)) && !source.endsWith('.map') && !source.endsWith('.tsbuildinfo')
    );
  };
  await cp(join(repo, 'package.json'), join(dir, 'package.json'));
  await cp(join(repo, 'migrations'), join(dir, 'migrations'), { recursive: true });
  for (const folder of ['packages', 'apps']) {
    await cp(join(repo, folder), join(dir, folder), { recursive: true, filter });
  }
  // Third-party packages from the repository; evalq's own from the laid-out tree.
  await mkdir(join(dir, 'node_modules', '@evalq'), { recursive: true });
  for (const entry of await readdir(join(repo, 'node_modules'))) {
    if (entry === '@evalq' || entry.startsWith('.')) continue;
    await symlink(join(repo, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  for (const folder of ['packages', 'apps']) {
    for (const pkg of await readdir(join(dir, folder))) {
      await symlink(join(dir, folder, pkg), join(dir, 'node_modules', '@evalq', pkg));
    }
  }
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function sql<R extends pg.QueryResultRow>(
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  image = await layOutImage();
  main = join(image, 'apps/cli/dist/main.js');
});
afterAll(async () => {
  await worker?.kill();
  api?.kill('SIGKILL');
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  await deleteKeysWithPrefix(prefix);
  if (image) await rm(image, { recursive: true, force: true });
});

describe('the runtime image layout (no src/, no tests, no source maps)', () => {
  it('has no TypeScript sources left to lean on', async () => {
    const { stdout } = await run('find', [
      image,
      // Dependencies (the root's and a workspace's own) may ship sources; evalq's may not.
      '-name',
      'node_modules',
      '-prune',
      '-o',
      '-name',
      '*.ts',
      '-not',
      '-name',
      '*.d.ts',
      '-print',
    ]);
    expect(stdout.trim()).toBe('');
  });

  it('migrates a new database', async () => {
    const { stdout } = await run(process.execPath, [main, 'migrate'], {
      env: { ...process.env, ...env },
    });
    expect(stdout).toMatch(/applied \d+ migration/);
  });

  it('runs a worker that uses the shared limits (Lua scripts) and finishes a job', async () => {
    worker = await startWorkerProcess({
      label: 'image-worker',
      script: main,
      args: ['worker'],
      env: { ...env, LOG_LEVEL: 'info', WORKER_ID: 'image-worker', WORKER_CONCURRENCY: '4' },
    });
    const [ids] = await sql<{ model_id: number; prompt_id: number; dataset_id: number }>(`
      WITH d AS (INSERT INTO datasets (name) VALUES ('image') RETURNING dataset_id),
           r AS (INSERT INTO rows (dataset_id, content, expected_prediction)
                 SELECT dataset_id, g || ' + 1', (g + 1)::text FROM d, generate_series(1, 20) g RETURNING 1),
           m AS (INSERT INTO models (name, source, config)
                 VALUES ('mock-big', 'mock', '{"max_concurrency": 2, "requests_per_minute": 6000}') RETURNING model_id),
           p AS (INSERT INTO prompts (text) VALUES ('{{content}}') RETURNING prompt_id)
      SELECT m.model_id, p.prompt_id, d.dataset_id FROM m, p, d`);
    await sql(
      `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'pending')`,
      [ids!.model_id, ids!.prompt_id, ids!.dataset_id],
    );
    const deadline = Date.now() + 30_000;
    let job: { status: string; count: number } | undefined;
    while (Date.now() < deadline) {
      [job] = await sql<{ status: string; count: number }>(
        'SELECT status, count FROM modelpromptstatus',
      );
      if (job?.status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(job, worker.describe()).toEqual({ status: 'done', count: 20 });
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });

  it('serves the API, its docs and the dashboard with its assets', async () => {
    const port = await freePort();
    api = spawn(process.execPath, [main, 'api'], {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await fetch(`${url}/readyz`).catch(() => undefined);
      if (ready?.ok) break;
      if (Date.now() > deadline) throw new Error('the API did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of assets) expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
    expect((await fetch(`${url}/docs/`)).status).toBe(200);
    expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${url}/v1/jobs`)).status).toBe(200);
  });
});

// Keeps this layout honest if the Dockerfile changes what it removes.
it('matches what the Dockerfile removes from the runtime image', async () => {
  const dockerfile = await readFile(join(repo, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/-name src -o -name test/);
  expect(dockerfile).toMatch(/-name '\*\.map' -delete/);
  expect(dockerfile).toMatch(/COPY --from=build \/app\/apps apps/);
  expect(dockerfile).toMatch(/COPY migrations migrations/);
});
