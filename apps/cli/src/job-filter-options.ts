import type { Command } from 'commander';
import type { JobKey } from '@evalq/core';
import { jobKey, positiveId } from './parse-options.js';

/** What `--job`, `--dataset`, `--model` and `--prompt` select. */
export interface JobFilterOptions {
  job?: JobKey;
  dataset?: number;
  model?: number;
  prompt?: number;
}

/** The options that pick jobs, the same for every command that reads jobs or their results. */
export function addJobFilterOptions(command: Command): Command {
  return command
    .option('--job <model/prompt/dataset>', 'only this job', jobKey)
    .option('--dataset <id>', 'only this dataset', positiveId)
    .option('--model <id>', 'only this model', positiveId)
    .option('--prompt <id>', 'only this prompt', positiveId);
}
