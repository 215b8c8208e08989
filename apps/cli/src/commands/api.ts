import type { Command } from 'commander';
import { apiEnv, createLogger, parseEnv } from '@evalq/core';

export function registerApi(program: Command): void {
  program
    .command('api')
    .description('run the HTTP API on PORT (configured by DATABASE_URL, REDIS_URL, API_TOKEN, …)')
    .action(async () => {
      const env = parseEnv(apiEnv, process.env);
      // Loaded here, not at start-up: the client commands should not pay for the server.
      const { runApiUntilSignalled } = await import('@evalq/api');
      const logger = createLogger({ level: env.LOG_LEVEL, name: 'api' });
      await runApiUntilSignalled(env, logger);
    });
}
