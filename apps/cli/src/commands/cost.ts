import type { Command } from 'commander';
import { formatJobKey } from '@evalq/core';
import type { CacheClearResult, CacheStats, Progress, ResumeResult, Run } from '@evalq/api/types';
import { addBudgetOptions, type BudgetOptions } from '../budget-options.js';
import { clientFromEnv } from '../client.js';
import { positiveId } from '../parse-options.js';
import { say } from '../output.js';
import { count, formatTable, statusText, usd } from '../table.js';

type Key = { model_id: number; prompt_id: number; dataset_id: number };
const jobPath = (key: Key) => `/v1/jobs/${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run id, or a job as model/prompt/dataset. */
function target(value: string): { run: string } | { job: Key } {
  const trimmed = value.trim();
  if (RUN_ID.test(trimmed)) return { run: trimmed.toLowerCase() };
  const match = /^(\d+)\/(\d+)\/(\d+)$/.exec(trimmed);
  if (!match) {
    throw new Error(`expected a run id (a UUID) or a job as model/prompt/dataset, got "${value}"`);
  }
  return {
    job: { model_id: Number(match[1]), prompt_id: Number(match[2]), dataset_id: Number(match[3]) },
  };
}

function describeBudget(budget: {
  max_cost_usd: number | null;
  max_tokens: number | null;
}): string {
  const parts = [
    budget.max_cost_usd === null ? '' : `at most ${usd(budget.max_cost_usd)}`,
    budget.max_tokens === null ? '' : `at most ${count(budget.max_tokens)} tokens`,
  ].filter(Boolean);
  return parts.length === 0 ? 'no budget' : parts.join(' and ');
}

/** Budgets, resuming paused work, and the response cache (docs/cost.md). */
export function registerCost(program: Command): void {
  addBudgetOptions(
    program
      .command('budget')
      .description(
        "set a run's or a job's budget (replacing the old one; none given: no budget); " +
          'work paused by its budget resumes when the new one leaves room',
      )
      .argument('<run|job>', 'a run id, or a job as model/prompt/dataset (e.g. 3/7/2)'),
    'it',
  ).action(async (value: string, options: BudgetOptions) => {
    const client = clientFromEnv();
    const budget = { max_cost_usd: options.maxCost ?? null, max_tokens: options.maxTokens ?? null };
    const which = target(value);
    if ('run' in which) {
      const run = await client.json<Run>('PATCH', `/v1/runs/${which.run}`, { json: { budget } });
      say(
        `run ${run.id}: ${describeBudget(run.cost.budget)}; spent ${usd(run.cost.spent_usd)}, ` +
          `${count(run.cost.spent_tokens)} tokens; ${run.status}`,
      );
      return;
    }
    const job = await client.json<Progress>('PATCH', jobPath(which.job), { json: { budget } });
    say(
      `job ${formatJobKey(job)}: ${describeBudget(job.budget)}; spent ${usd(job.spent_usd)}, ` +
        `${count(job.spent_tokens)} tokens; ${statusText(job)}`,
    );
  });

  program
    .command('resume')
    .description(
      'resume paused work: after fixing a model (paused_reason provider) its failed rows run again; ' +
        'a budget that is still reached keeps it paused (raise it with evalq budget)',
    )
    .argument('<run|job>', 'a run id, or a job as model/prompt/dataset (e.g. 3/7/2)')
    .action(async (value: string) => {
      const client = clientFromEnv();
      const which = target(value);
      if ('run' in which) {
        const run = await client.post<Run>(`/v1/runs/${which.run}/resume`);
        say(`run ${run.id}: ${run.status}`);
        return;
      }
      const result = await client.post<ResumeResult>(`${jobPath(which.job)}/resume`);
      say(
        result.resumed
          ? `job ${formatJobKey(result.job)} resumed: ${statusText(result.job)}`
          : `job ${formatJobKey(result.job)} not resumed: ${statusText(result.job)}` +
              (result.job.paused_reason === 'budget' ? ' (raise its budget: evalq budget)' : ''),
      );
    });

  const cache = program
    .command('cache')
    .description('the response cache shared by every worker (docs/cost.md)');
  cache
    .command('stats')
    .description('entries, size and age of the cache, per model that stored them')
    .option('--model <id>', 'only this model', positiveId)
    .action(async (options: { model?: number }) => {
      const stats = await clientFromEnv().get<CacheStats>('/v1/cache', {
        ...(options.model === undefined ? {} : { model_id: String(options.model) }),
      });
      say(
        `${count(stats.entries)} cached answer(s), ${count(stats.bytes)} bytes` +
          (stats.oldest === null ? '' : `, stored ${stats.oldest} to ${stats.newest}`),
      );
      if (stats.by_model.length > 0) {
        say(
          formatTable(
            ['MODEL', 'ENTRIES'],
            stats.by_model.map((m) => [m.model_id ?? '(deleted)', count(m.entries)]),
          ),
        );
      }
    });
  cache
    .command('clear')
    .description('delete cached answers: all, one model’s, or those older than a duration')
    .option('--model <id>', "only this model's answers", positiveId)
    .option('--older-than <duration>', 'only answers older than this, e.g. 90s, 30m, 12h, 7d')
    .action(async (options: { model?: number; olderThan?: string }) => {
      const result = await clientFromEnv().json<CacheClearResult>('DELETE', '/v1/cache', {
        query: {
          ...(options.model === undefined ? {} : { model_id: String(options.model) }),
          ...(options.olderThan === undefined ? {} : { older_than: options.olderThan }),
        },
      });
      say(`${count(result.deleted)} cached answer(s) deleted`);
    });
}
