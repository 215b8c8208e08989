import type { Command } from 'commander';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run a worker in this process: claim rows, call the models, store predictions ' +
        '(configured by the environment: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, WORKER_CONCURRENCY, LEASE_SECONDS, …; ' +
        'SIGTERM stops it gracefully)',
    )
    .action(async () => {
      // Loaded here, not at start-up: the client commands should not pay for the worker.
      const { runWorkerProcess } = await import('@evalq/worker');
      await runWorkerProcess(process.env);
    });
}
