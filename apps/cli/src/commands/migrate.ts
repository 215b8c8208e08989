import type { Command } from 'commander';
import { databaseEnv, parseEnv } from '@evalq/core';
import { say } from '../output.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'create the database if missing and apply pending migrations (safe to run concurrently)',
    )
    .action(async () => {
      const env = parseEnv(databaseEnv, process.env);
      // Loaded here, not at start-up: the client commands should not pay for pg and Kysely.
      const { migrate, redactUrl } = await import('@evalq/db');
      const result = await migrate({
        databaseUrl: env.DATABASE_URL,
        log: (line) => say(`  ${line}`),
      });
      const target = redactUrl(env.DATABASE_URL);
      say(
        result.applied.length === 0
          ? `${target} is up to date (${result.alreadyApplied} migrations applied earlier)`
          : `${target}: applied ${result.applied.length} migration(s)`,
      );
    });
}
