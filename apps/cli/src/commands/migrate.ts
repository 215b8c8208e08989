import type { Command } from 'commander';
import { databaseEnv, parseEnv } from '@evalq/core';
import { migrate, redactUrl } from '@evalq/db';
import { say } from '../output.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      'create the database if missing and apply pending migrations (safe to run concurrently)',
    )
    .action(async () => {
      const env = parseEnv(databaseEnv, process.env);
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
