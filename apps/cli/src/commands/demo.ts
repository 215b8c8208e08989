import { InvalidArgumentError, type Command } from 'commander';
import { parseEnv } from '@evalq/core';
import type { DemoProvider } from '../demo/demo-catalog.js';
import { demoEnv } from '../demo/demo-env.js';

const PROVIDERS: DemoProvider[] = ['mock', 'openai', 'ollama'];

function provider(value: string): DemoProvider {
  if (!(PROVIDERS as string[]).includes(value)) {
    throw new InvalidArgumentError(`expected ${PROVIDERS.join(', ')}`);
  }
  return value as DemoProvider;
}

function rowCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100_000) {
    throw new InvalidArgumentError('expected a whole number from 1 to 100000');
  }
  return n;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'a sample evaluation end to end: migrate, start the API and two workers, create a labelled ' +
        'dataset, models and prompts, launch every model × prompt job, show progress, print the ' +
        'leaderboard, stop everything (PostgreSQL and Redis from DATABASE_URL, REDIS_URL, QUEUE_PREFIX)',
    )
    .option(
      '--provider <provider>',
      'mock (built-in, no network), openai (OPENAI_API_KEY, optional OPENAI_BASE_URL, ' +
        'EVALQ_DEMO_OPENAI_MODEL) or ollama (OLLAMA_HOST, EVALQ_DEMO_OLLAMA_MODEL)',
      provider,
      'mock' as DemoProvider,
    )
    .option(
      '--rows <n>',
      'rows in the sample dataset (default: 400 mock, 100 openai, 40 ollama)',
      rowCount,
    )
    .option(
      '--keep-running',
      'keep the API and the workers running after the leaderboard, until Ctrl-C',
    )
    .action(async (options: { provider: DemoProvider; rows?: number; keepRunning?: boolean }) => {
      const env = parseEnv(demoEnv, process.env);
      // Loaded here, not at start-up: the client commands should not pay for the demo.
      const { runDemo } = await import('../demo/run-demo.js');
      process.exitCode = await runDemo(env, {
        provider: options.provider,
        rows: options.rows,
        keepRunning: options.keepRunning ?? false,
      });
    });
}
