import { cpus, release, totalmem } from 'node:os';
import type pg from 'pg';
import { serverVersion } from './bench-queries.js';

/** What the figures were measured on, for the JSON line and docs/performance.md. */
export async function describeMachine(pool: pg.Pool): Promise<Record<string, string | number>> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    postgresql: await serverVersion(pool),
  };
}
