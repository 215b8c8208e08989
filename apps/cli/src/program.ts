import { Command } from 'commander';
import { registerApi } from './commands/api.js';
import { registerClassification } from './commands/classification.js';
import { registerCompare } from './commands/compare.js';
import { registerCost } from './commands/cost.js';
import { registerDatasets } from './commands/datasets.js';
import { registerDemo } from './commands/demo.js';
import { registerJobActions } from './commands/job-actions.js';
import { registerLaunch } from './commands/launch.js';
import { registerLeaderboard } from './commands/leaderboard.js';
import { registerMigrate } from './commands/migrate.js';
import { registerWorker } from './commands/worker.js';
import { registerModels } from './commands/models.js';
import { registerPrompts } from './commands/prompts.js';
import { registerResults } from './commands/results.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerShare } from './commands/share.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';

/** The `evalq` command line: every subcommand registers itself here. */
export function buildProgram(): Command {
  const program = new Command('evalq')
    .description('evalq: batch evaluations of LLMs over labelled datasets')
    .showHelpAfterError('(run evalq --help for usage)')
    .addHelpText(
      'after',
      '\nClient commands talk to the API at EVALQ_API_URL (default http://127.0.0.1:3000), ' +
        'sending API_TOKEN when it is set.',
    );
  registerMigrate(program);
  registerWorker(program);
  registerApi(program);
  registerDatasets(program);
  registerModels(program);
  registerPrompts(program);
  registerLaunch(program);
  registerRun(program);
  registerRuns(program);
  registerShare(program);
  registerStatus(program);
  registerResults(program);
  registerLeaderboard(program);
  registerCompare(program);
  registerClassification(program);
  registerJobActions(program);
  registerCost(program);
  registerDemo(program);
  registerServe(program);
  return program;
}
