import type { Command } from 'commander';
import { integer, number } from './parse-options.js';

/** `--max-cost` and `--max-tokens` as the API's budget (docs/cost.md); undefined when neither is given. */
export interface BudgetOptions {
  maxCost?: number;
  maxTokens?: number;
  cache?: boolean;
}

export function addBudgetOptions(command: Command, scope: string): Command {
  return command
    .option('--max-cost <usd>', `stop ${scope} once this many USD are spent`, number)
    .option(
      '--max-tokens <n>',
      `stop ${scope} once this many tokens are used (prompt + completion)`,
      integer,
    );
}

export function budgetOf(
  options: BudgetOptions,
): { max_cost_usd?: number; max_tokens?: number } | undefined {
  if (options.maxCost === undefined && options.maxTokens === undefined) return undefined;
  return {
    ...(options.maxCost === undefined ? {} : { max_cost_usd: options.maxCost }),
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
  };
}
