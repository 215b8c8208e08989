import type { Command } from 'commander';
import type { LeaderboardEntry } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { formatLeaderboard } from '../leaderboard-table.js';
import { reference } from '../parse-options.js';
import { NameResolver } from '../resolve-names.js';
import { say } from '../output.js';

export function registerLeaderboard(program: Command): void {
  program
    .command('leaderboard')
    .description(
      'pass rate with its 95% interval, failures, latency and tokens per model × prompt over a dataset',
    )
    .requiredOption('--dataset <id|name>', 'the dataset', reference)
    .option('--json', 'print the entries as JSON')
    .action(async (options: { dataset: string; json?: boolean }) => {
      const client = clientFromEnv();
      const datasetId = await new NameResolver(client).dataset(options.dataset);
      const board = await client.get<{ entries: LeaderboardEntry[] }>(
        `/v1/datasets/${datasetId}/leaderboard`,
      );
      if (options.json) {
        say(JSON.stringify(board.entries, null, 2));
        return;
      }
      if (board.entries.length === 0) {
        say(`no jobs on dataset ${datasetId} yet`);
        return;
      }
      say(formatLeaderboard(board.entries));
      say(
        'N: graded successful predictions; 95% CI: Wilson interval of the pass rate; ' +
          "★ best on its prompt and significantly better than the prompt's runner-up (McNemar p < 0.05)",
      );
    });
}
