import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_FALLBACK_DIR, startLocalPostgres, type LocalPostgres } from '@evalq/local-postgres';
import { isProcessAlive } from '@evalq/testing';
import { blockingDirectory } from '../src/server-account.js';

const HOLD = fileURLToPath(new URL('./fixtures/hold-local-postgres.mjs', import.meta.url));
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const homes: string[] = [];
async function newHome(): Promise<string> {
  // Under the system's temporary directory, which every user may enter.
  const home = await mkdtemp(join(tmpdir(), 'evalq-local-pg-'));
  await chmod(home, 0o755);
  homes.push(home);
  return home;
}
afterAll(async () => {
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { recursive: true })) {
    await chown(join(dir, entry), uid, uid);
  }
}

/** The real user id a process runs as, from /proc. */
async function processUid(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(100);
  }
  return condition();
}

/** Runs the fixture (optionally as another uid) and reads its first line. */
async function holdInChild(home: string, uid?: number) {
  const child = spawn(process.execPath, [HOLD, home], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the fixture exited with ${code}`)));
    // E.g. EACCES: this uid cannot run this Node (one kept under /root).
    child.once('error', (error) =>
      reject(new Error(`cannot run ${process.execPath} as uid ${uid}: ${error.message}`)),
    );
  });
  return {
    child,
    started: JSON.parse(line) as {
      port?: number;
      serverPid?: number;
      url?: string;
      error?: string;
    },
  };
}

describe('the embedded PostgreSQL', () => {
  it('serves concurrent connections and keeps its data across restarts', async () => {
    const home = await newHome();
    let server: LocalPostgres | undefined = await startLocalPostgres({ home });
    try {
      expect(server.created).toBe(true);
      const url = server.url('postgres');
      const pids = await Promise.all(
        Array.from({ length: 8 }, () =>
          query<{ pid: number }>(url, 'SELECT pg_backend_pid() AS pid, pg_sleep(0.2)'),
        ),
      );
      expect(new Set(pids.map((rows) => rows[0]!.pid)).size).toBe(8);
      await query(
        url,
        'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$across restarts$$)',
      );
      // PostgreSQL refuses root: run as root, the server runs as nobody.
      expect(await processUid(server.serverPid)).toBe(isRoot ? NOBODY : process.getuid!());
      const firstPid = server.serverPid;
      await server.stop();
      expect(isProcessAlive(firstPid)).toBe(false);

      server = await startLocalPostgres({ home });
      expect(server.created).toBe(false);
      const rows = await query<{ note: string }>(server.url('postgres'), 'SELECT note FROM kept');
      expect(rows).toEqual([{ note: 'across restarts' }]);
    } finally {
      await server?.stop();
    }
  });

  it.runIf(isRoot)(
    'starts on a data directory copied by root, giving it back to its account',
    async () => {
      const home = await newHome();
      const first = await startLocalPostgres({ home });
      await query(first.url('postgres'), 'CREATE TABLE kept (note text)');
      await first.stop();
      // What a copy as root leaves: every file owned by root, the directory readable by all.
      await chownTree(first.dataDir, 0);
      await chmod(first.dataDir, 0o755);
      // What a copy through git leaves: no empty directory.
      for (const empty of ['pg_notify', 'pg_tblspc', 'pg_replslot', 'pg_logical/mappings']) {
        await rm(join(first.dataDir, empty), { recursive: true });
      }
      const again = await startLocalPostgres({ home });
      try {
        expect(await query(again.url('postgres'), 'SELECT count(*)::int AS n FROM kept')).toEqual([
          { n: 0 },
        ]);
        expect((await stat(join(again.dataDir, 'PG_VERSION'))).uid).toBe(NOBODY);
      } finally {
        await again.stop();
      }
    },
  );

  it('asks for a password, and listens on 127.0.0.1 only', async () => {
    const home = await newHome();
    const server = await startLocalPostgres({ home });
    try {
      const noPassword = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
      await expect(query(noPassword, 'SELECT 1')).rejects.toThrow(/password/i);
      const rows = await query(server.url('postgres'), 'SHOW listen_addresses');
      expect(rows).toEqual([{ listen_addresses: '127.0.0.1' }]);
    } finally {
      await server.stop();
    }
  });

  it('refuses a second server on the same data, naming the running one', async () => {
    const home = await newHome();
    const server = await startLocalPostgres({ home });
    try {
      await expect(startLocalPostgres({ home })).rejects.toMatchObject({
        code: 'LOCAL_POSTGRES_IN_USE',
        message: expect.stringContaining(`process ${server.serverPid}`),
      });
    } finally {
      await server.stop();
    }
  });

  it('stops within 15 s when the process that started it is killed with SIGKILL', async () => {
    const home = await newHome();
    const { child, started } = await holdInChild(home);
    expect(started.error).toBeUndefined();
    const serverPid = started.serverPid!;
    expect(isProcessAlive(serverPid)).toBe(true);
    child.kill('SIGKILL');
    expect(await waitUntil(() => !isProcessAlive(serverPid), 15_000)).toBe(true);
    // Stopped cleanly enough to start again on the same data at once.
    const again = await startLocalPostgres({ home });
    await again.stop();
  });

  it.runIf(isRoot)('works for a normal user too (run here as nobody)', async (context) => {
    // nobody stands in for a user running evalq from a checkout of their own, which it
    // can do only if it may enter the checkout (not a clone under a mode-700 directory).
    const closed = blockingDirectory(dirname(HOLD), { name: 'nobody', uid: NOBODY, gid: NOBODY });
    if (closed) context.skip(`nobody cannot enter ${closed}, on the way to this checkout`);
    const home = await newHome();
    await chown(home, NOBODY, NOBODY);
    const { child, started } = await holdInChild(home, NOBODY);
    try {
      expect(started.error).toBeUndefined();
      expect(await processUid(started.serverPid!)).toBe(NOBODY);
      const rows = await query<{ one: number }>(started.url!, 'SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      child.kill('SIGTERM');
      await waitUntil(() => !isProcessAlive(started.serverPid!), 15_000);
    }
  });

  it.runIf(isRoot)(
    'as root, keeps its data where nobody can reach it when EVALQ_HOME is closed to it',
    async () => {
      const closed = await newHome();
      await chmod(closed, 0o700); // like /root
      const home = join(closed, 'inside', '.evalq');
      await mkdir(home, { recursive: true });
      const server = await startLocalPostgres({ home });
      const fallback = dirname(server.dataDir);
      try {
        expect(fallback.startsWith(`${ROOT_FALLBACK_DIR}/homes/`)).toBe(true);
        expect(await processUid(server.serverPid)).toBe(NOBODY);
        expect(await readFile(join(home, 'postgres-location'), 'utf8')).toContain(fallback);
        await query(server.url('postgres'), 'CREATE TABLE kept ()');
        await server.stop();
        // The same EVALQ_HOME finds the same data again.
        const again = await startLocalPostgres({ home });
        expect(dirname(again.dataDir)).toBe(fallback);
        expect(await query(again.url('postgres'), 'SELECT * FROM kept')).toEqual([]);
        await again.stop();
      } finally {
        await server.stop();
        await rm(fallback, { recursive: true, force: true });
      }
    },
  );
});
