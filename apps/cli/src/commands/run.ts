import type { Command } from 'commander';
import type { LaunchedRun } from '@evalq/api/types';
import { addBudgetOptions, budgetOf, type BudgetOptions } from '../budget-options.js';
import { clientFromEnv } from '../client.js';
import { candidateNames } from '../candidate-names.js';
import { assertionList, ratio, reference, referenceList } from '../parse-options.js';
import { say, warn } from '../output.js';
import { NameResolver } from '../resolve-names.js';
import { showRun } from './runs.js';

interface RunOptions extends BudgetOptions {
  dataset: string;
  models: string[];
  prompts: string[];
  name?: string;
  assertions?: unknown[];
  threshold?: number;
  watch?: boolean;
}

export function registerRun(program: Command): void {
  addBudgetOptions(
    program
      .command('run')
      .description(
        'launch a run: every model × prompt over a dataset, as one evaluation (existing jobs are reused)',
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
      .option('--name <text>', 'what the run is for')
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
      .option('--watch', 'follow the whole run live until it completes, then print its summary'),
    'the run (all its jobs together)',
  ).action(async (options: RunOptions) => {
    const client = clientFromEnv();
    const names = new NameResolver(client);
    const [dataset_id, model_ids, prompt_ids] = await Promise.all([
      names.dataset(options.dataset),
      names.models(options.models),
      names.prompts(options.prompts),
    ]);
    const run = await client.post<LaunchedRun>('/v1/runs', {
      dataset_id,
      model_ids,
      prompt_ids,
      name: options.name,
      assertions: options.assertions,
      threshold: options.threshold,
      budget: budgetOf(options),
      cache: options.cache,
    });
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
