import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { probeDatabaseServer, redactUrl } from '@evalq/db';
import { startLocalPostgres, type LocalPostgres } from '@evalq/local-postgres';
import { probeRedis } from '@evalq/queue';
import {
  dropTemplateDatabase,
  newTemplateName,
  prepareTemplateDatabase,
  TEMPLATE_VARIABLE,
} from './test-database.js';
import { deleteRunKeys } from './redis-prefix.js';
import {
  DEFAULT_TEST_REDIS_URL,
  DEFAULT_TEST_SERVER_URL,
  newRunId,
  REDIS_DOWN_VARIABLE,
  RUN_ID_VARIABLE,
} from './test-services.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The embedded server of the tests, kept between runs like a developer's .evalq/. */
const EMBEDDED_HOME = `${root}node_modules/.cache/evalq/test-postgres`;

/**
 * Vitest global setup: builds dist/ (tests start workers and the API as real child
 * processes from it), finds PostgreSQL (an embedded one where none answers) and Redis
 * (the Redis-path tests are skipped with the reason where none answers), and builds this
 * run's migrated template database. The teardown removes what this run made, and only
 * that: other checkouts' runs may share the servers at the same time.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b'], {
    cwd: root,
    stdio: 'inherit',
  });
  const ci = process.env.CI === 'true';
  process.env[RUN_ID_VARIABLE] = newRunId();

  let embedded: LocalPostgres | undefined;
  const databaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_SERVER_URL;
  const database = await probeDatabaseServer(databaseUrl);
  if (!database.ok) {
    embedded = await startLocalPostgres({ home: EMBEDDED_HOME, maxConnections: 400 });
    process.env.TEST_DATABASE_URL = embedded.url('postgres');
    note(
      `PostgreSQL does not answer at ${redactUrl(databaseUrl)} (${database.reason}): ` +
        `the tests use an embedded one (${EMBEDDED_HOME}).`,
    );
  }

  const redisUrl = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
  const redis = await probeRedis(redisUrl);
  if (!redis.ok) {
    const reason = `Redis does not answer at ${redactUrl(redisUrl)} (${redis.reason})`;
    if (ci) throw new Error(`${reason}: under CI=true every test must run`);
    process.env[REDIS_DOWN_VARIABLE] = reason;
    note(`${reason}: the tests that need Redis are skipped (start it, or set TEST_REDIS_URL).`);
  }

  const template = newTemplateName();
  process.env[TEMPLATE_VARIABLE] = template;
  try {
    await prepareTemplateDatabase(template);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }

  return async () => {
    const problems: unknown[] = [];
    await dropTemplateDatabase(template).catch((error: unknown) => problems.push(error));
    if (redis.ok) await deleteRunKeys(redisUrl).catch((error: unknown) => problems.push(error));
    await embedded?.stop();
    if (problems.length > 0) throw new AggregateError(problems, 'test teardown failed');
  };
}

function note(line: string): void {
  process.stderr.write(`\n${line}\n\n`);
}
