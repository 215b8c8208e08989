import type { Command } from 'commander';
import type { JobKey } from '@evalq/core';
import { jobKey, reference } from './parse-options.js';

/** What `--job`, `--dataset`, `--model` and `--prompt` select (names resolve-names.ts turns into ids). */
export interface JobFilterOptions {
  job?: JobKey;
  dataset?: string;
  model?: string;
  prompt?: string;
}

/** The options that pick jobs, the same for every command that reads jobs or their results. */
export function addJobFilterOptions(command: Command): Command {
  return command
    .option('--job <model/prompt/dataset>', 'only this job', jobKey)
    .option('--dataset <id|name>', 'only this dataset', reference)
    .option('--model <id|name>', 'only this model', reference)
    .option('--prompt <ref>', 'only this prompt (id, name, name@label, name@version)', reference);
}
