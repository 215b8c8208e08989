import type { Command } from 'commander';
import type { Page, Progress } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { formatJobs } from '../jobs-table.js';
import { addJobFilterOptions, type JobFilterOptions } from '../job-filter-options.js';
import { resolveFilter } from '../resolve-names.js';
import { say } from '../output.js';
import { watchJobs } from '../watch-progress.js';

interface StatusOptions extends JobFilterOptions {
  status?: string;
  watch?: boolean;
  json?: boolean;
}

export function registerStatus(program: Command): void {
  addJobFilterOptions(program.command('status').description('jobs and their progress'))
    .option('--status <status>', 'only pending, running or done jobs')
    .option('--watch', 'follow the unfinished jobs until they are done')
    .option('--json', 'print the progress objects as JSON')
    .action(async (options: StatusOptions) => {
      const client = clientFromEnv();
      const jobs: Progress[] = [];
      if (options.job) {
        const { model_id, prompt_id, dataset_id } = options.job;
        jobs.push(await client.get<Progress>(`/v1/jobs/${model_id}/${prompt_id}/${dataset_id}`));
      } else {
        let cursor: string | undefined;
        const filter = await resolveFilter(client, options);
        do {
          const page = await client.get<Page<Progress>>('/v1/jobs', {
            ...filter,
            status: options.status,
            cursor,
          });
          jobs.push(...page.items);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
      }
      if (options.json) {
        say(JSON.stringify(jobs, null, 2));
        return;
      }
      if (jobs.length === 0) {
        say('no jobs: evalq launch --dataset ID --models IDS --prompts IDS');
        return;
      }
      const unfinished = jobs.filter((job) => job.status !== 'done');
      if (!options.watch || unfinished.length === 0) {
        say(formatJobs(jobs));
        return;
      }
      const result = await watchJobs(client, unfinished);
      say(formatJobs(result.jobs));
    });
}
