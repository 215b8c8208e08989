import type { Command } from 'commander';
import { runWorkerProcess } from '@evalq/worker';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run a worker in this process: claim rows, call the models, store predictions ' +
        '(configured by the environment: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, WORKER_CONCURRENCY, LEASE_SECONDS, …; ' +
        'SIGTERM stops it gracefully)',
    )
    .action(async () => {
      await runWorkerProcess(process.env);
    });
}
