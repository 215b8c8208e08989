import type { Command } from 'commander';
import type { LeaderboardEntry } from '../api-types.js';
import { clientFromEnv } from '../client.js';
import { formatLeaderboard } from '../leaderboard-table.js';
import { positiveId } from '../parse-options.js';
import { say } from '../output.js';

export function registerLeaderboard(program: Command): void {
  program
    .command('leaderboard')
    .description(
      'pass rate with its 95% interval, failures, latency and tokens per model × prompt over a dataset',
    )
    .requiredOption('--dataset <id>', 'the dataset', positiveId)
    .option('--json', 'print the entries as JSON')
    .action(async (options: { dataset: number; json?: boolean }) => {
      const board = await clientFromEnv().get<{ entries: LeaderboardEntry[] }>(
        `/v1/datasets/${options.dataset}/leaderboard`,
      );
      if (options.json) {
        say(JSON.stringify(board.entries, null, 2));
        return;
      }
      if (board.entries.length === 0) {
        say(`no jobs on dataset ${options.dataset} yet`);
        return;
      }
      say(formatLeaderboard(board.entries));
      say(
        'N: graded successful predictions; 95% CI: Wilson interval of the pass rate; ' +
          "★ best on its prompt and significantly better than the prompt's runner-up (McNemar p < 0.05)",
      );
    });
}
