import type { Command } from 'commander';
import { formatJobKey } from '@evalq/core';
import type { Progress } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { assertionList, jobKey, ratio } from '../parse-options.js';
import { say } from '../output.js';
import { count } from '../table.js';

type Key = { model_id: number; prompt_id: number; dataset_id: number };
const path = (key: Key) => `/v1/jobs/${key.model_id}/${key.prompt_id}/${key.dataset_id}`;

export function registerJobActions(program: Command): void {
  program
    .command('cancel')
    .description(
      'cancel a job: delete it with its status rows and predictions (a relaunch starts over)',
    )
    .argument('<job>', 'model/prompt/dataset, e.g. 3/7/2', jobKey)
    .action(async (key: Key) => {
      const result = await clientFromEnv().json<{ predictions_deleted: number }>(
        'DELETE',
        path(key),
      );
      say(
        `job ${formatJobKey(key)} cancelled; ${count(result.predictions_deleted)} prediction(s) deleted`,
      );
    });

  program
    .command('regrade')
    .description(
      "grade a job's stored predictions again, with new or the current assertions " +
        '(no call to the model; a new list without --threshold clears the threshold)',
    )
    .argument('<job>', 'model/prompt/dataset, e.g. 3/7/2', jobKey)
    .option('--assertions <json|@file>', 'the new assertions (docs/grading.md)', assertionList)
    .option('--threshold <0..1>', 'pass when the weighted score reaches this', ratio)
    .action(async (key: Key, options: { assertions?: unknown[]; threshold?: number }) => {
      const job = await clientFromEnv().post<Progress>(`${path(key)}/regrade`, options);
      say(
        `job ${formatJobKey(key)}: regrading ${count(job.regrade_remaining)} prediction(s) with ` +
          `${JSON.stringify(job.assertions)}${job.threshold === null ? '' : `, threshold ${job.threshold}`}` +
          `; follow it with: evalq status --watch`,
      );
    });

  program
    .command('retry-failed')
    .description("process a job's failed rows again")
    .argument('<job>', 'model/prompt/dataset, e.g. 3/7/2', jobKey)
    .action(async (key: Key) => {
      const result = await clientFromEnv().post<{ reset: number; job: Progress }>(
        `${path(key)}/retry-failed`,
      );
      say(
        result.reset === 0
          ? `job ${formatJobKey(key)} has no failed rows`
          : `job ${formatJobKey(key)}: ${count(result.reset)} failed row(s) sent back to the workers`,
      );
    });
}
