import type { Command } from 'commander';
import type { ApiClient } from './api-client.js';
import { addBudgetOptions, budgetOf, type BudgetOptions } from './budget-options.js';
import { assertionList, ratio, reference, referenceList } from './parse-options.js';
import { NameResolver } from './resolve-names.js';

/** What `evalq launch` and `evalq run` both take: the candidates and how to grade and bound them. */
export interface LaunchOptions extends BudgetOptions {
  dataset: string;
  models: string[];
  prompts: string[];
  assertions?: unknown[];
  threshold?: number;
  watch?: boolean;
}

/** Adds the options of a launch to `command`; `scope` is what a budget stops. */
export function addLaunchOptions(command: Command, scope: string): Command {
  return addBudgetOptions(
    command
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
      ),
    scope,
  );
}

/** The launch's body for POST /v1/jobs and POST /v1/runs, names resolved to ids. */
export async function launchBody(client: ApiClient, options: LaunchOptions) {
  const names = new NameResolver(client);
  const [dataset_id, model_ids, prompt_ids] = await Promise.all([
    names.dataset(options.dataset),
    names.models(options.models),
    names.prompts(options.prompts),
  ]);
  return {
    dataset_id,
    model_ids,
    prompt_ids,
    assertions: options.assertions,
    threshold: options.threshold,
    budget: budgetOf(options),
    cache: options.cache,
  };
}
