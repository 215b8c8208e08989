import type { Command } from 'commander';
import { formatJobKey } from '@evalq/core';
import type { LaunchResult } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { formatJobs } from '../jobs-table.js';
import { addLaunchOptions, launchBody, type LaunchOptions } from '../launch-options.js';
import { say, warn } from '../output.js';
import { watchJobs } from '../watch-progress.js';

export function registerLaunch(program: Command): void {
  addLaunchOptions(
    program
      .command('launch')
      .description(
        'launch every model × prompt job over a dataset (jobs that exist are kept, not duplicated)',
      ),
    'each job',
  )
    .option('--watch', 'follow the jobs with a live progress bar each until they are done')
    .action(async (options: LaunchOptions) => {
      const client = clientFromEnv();
      const body = await launchBody(client, options);
      const datasetId = body.dataset_id;
      const launched = await client.post<LaunchResult>('/v1/jobs', body);
      const created = new Set(launched.created.map(formatJobKey));
      say(
        `${launched.created.length} job(s) launched, ${launched.jobs.length - launched.created.length} already existed:`,
      );
      say(formatJobs(launched.jobs));
      if (!launched.enqueued) {
        warn(
          'Redis was not reachable: the jobs are stored, and workers will pick them up from PostgreSQL.',
        );
      }
      if (created.size === 0 && launched.jobs.every((job) => job.status === 'done')) {
        say(`every job is already done: evalq leaderboard --dataset ${datasetId}`);
      }
      if (!options.watch) {
        say(`follow them with: evalq status --dataset ${datasetId} --watch`);
        return;
      }
      const result = await watchJobs(client, launched.jobs);
      say(formatJobs(result.jobs));
      if (!result.finished) {
        say('stopped watching; the jobs keep running (evalq status --watch to follow them again)');
        return;
      }
      say(`all done: evalq leaderboard --dataset ${datasetId}`);
    });
}
