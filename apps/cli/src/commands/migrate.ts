import type { Command } from 'commander';
import { databaseEnv, databaseTargets, parseEnv } from '@evalq/core';
import { say } from '../output.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'create the database if missing and apply pending migrations (safe to run concurrently)',
    )
    .action(async () => {
      // Creating the database needs PostgreSQL itself, not a pooler in front of it.
      const { sessionUrl } = databaseTargets(parseEnv(databaseEnv, process.env));
      // Loaded here, not at start-up: the client commands should not pay for pg and Kysely.
      const { migrate, redactUrl } = await import('@evalq/db');
      const result = await migrate({
        databaseUrl: sessionUrl,
        log: (line) => say(`  ${line}`),
      });
      const target = redactUrl(sessionUrl);
      say(
        result.applied.length === 0
          ? `${target} is up to date (${result.alreadyApplied} migrations applied earlier)`
          : `${target}: applied ${result.applied.length} migration(s)`,
      );
    });
}
