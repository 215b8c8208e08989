import type { Command } from 'commander';
import type { LaunchedRun } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { candidateNames } from '../candidate-names.js';
import { addLaunchOptions, launchBody, type LaunchOptions } from '../launch-options.js';
import { say, warn } from '../output.js';
import { showRun } from './runs.js';

interface RunOptions extends LaunchOptions {
  name?: string;
}

export function registerRun(program: Command): void {
  addLaunchOptions(
    program
      .command('run')
      .description(
        'launch a run: every model × prompt over a dataset, as one evaluation (existing jobs are reused)',
      ),
    'the run (all its jobs together)',
  )
    .option('--name <text>', 'what the run is for')
    .option('--watch', 'follow the whole run live until it completes, then print its summary')
    .action(async (options: RunOptions) => {
      const client = clientFromEnv();
      const body = await launchBody(client, options);
      const dataset_id = body.dataset_id;
      const run = await client.post<LaunchedRun>('/v1/runs', { ...body, name: options.name });
      say(
        `run ${run.id} launched: ${run.jobs.length} job(s) over dataset ${dataset_id}, ${run.progress.total} rows to process (${run.status})`,
      );
      if (!run.enqueued) {
        warn(
          'Redis was not reachable: the jobs are stored, and workers will pick them up from PostgreSQL.',
        );
      }
      if (!options.watch) {
        say(`follow it with: evalq runs show ${run.id} --watch`);
        return;
      }
      await showRun(client, run, await candidateNames(client, run.model_ids, run.prompt_ids), true);
    });
}
