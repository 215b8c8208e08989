import type { Command } from 'commander';
import { formatJobKey } from '@evalq/core';
import type { LaunchResult } from '@evalq/api/types';
import { addBudgetOptions, budgetOf, type BudgetOptions } from '../budget-options.js';
import { clientFromEnv } from '../client.js';
import { formatJobs } from '../jobs-table.js';
import { assertionList, ratio, reference, referenceList } from '../parse-options.js';
import { NameResolver } from '../resolve-names.js';
import { say, warn } from '../output.js';
import { watchJobs } from '../watch-progress.js';

interface LaunchOptions extends BudgetOptions {
  dataset: string;
  models: string[];
  prompts: string[];
  watch?: boolean;
  assertions?: unknown[];
  threshold?: number;
}

export function registerLaunch(program: Command): void {
  addBudgetOptions(
    program
      .command('launch')
      .description(
        'launch every model × prompt job over a dataset (jobs that exist are kept, not duplicated)',
      )
      .requiredOption('--dataset <id|name>', 'the dataset', reference)
      .requiredOption(
        '--models <ids|names>',
        'models, comma-separated (ids or names)',
        referenceList,
      )
      .requiredOption(
        '--prompts <refs>',
        'prompts, comma-separated: ids, name (latest version), name@label or name@version',
        referenceList,
      )
      .option(
        '--assertions <json|@file>',
        "how to grade each prediction (docs/grading.md); default: the dataset's, else equals",
        assertionList,
      )
      .option('--threshold <0..1>', 'pass when the weighted score reaches this', ratio)
      .option(
        '--cache',
        'reuse identical earlier answers from the response cache, and store new ones (docs/cost.md)',
      )
      .option('--watch', 'follow the jobs with a live progress bar each until they are done'),
    'each job',
  ).action(async (options: LaunchOptions) => {
    const client = clientFromEnv();
    const names = new NameResolver(client);
    const [datasetId, model_ids, prompt_ids] = await Promise.all([
      names.dataset(options.dataset),
      names.models(options.models),
      names.prompts(options.prompts),
    ]);
    const launched = await client.post<LaunchResult>('/v1/jobs', {
      dataset_id: datasetId,
      model_ids,
      prompt_ids,
      assertions: options.assertions,
      threshold: options.threshold,
      budget: budgetOf(options),
      cache: options.cache,
    });
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
