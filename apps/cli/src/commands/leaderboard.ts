import type { Command } from 'commander';
import type { LeaderboardEntry } from '../api-types.js';
import { clientFromEnv } from '../client.js';
import { positiveId } from '../parse-options.js';
import { say } from '../output.js';
import { count, formatTable, percent } from '../table.js';

const seconds = (value: number | null) => (value === null ? null : Number(value.toFixed(3)));

export function registerLeaderboard(program: Command): void {
  program
    .command('leaderboard')
    .description('accuracy, failures, latency and tokens per model × prompt over a dataset')
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
      say(
        formatTable(
          [
            '#',
            'MODEL',
            'PROMPT',
            'STATUS',
            'N',
            'ACCURACY',
            'FAILED',
            'P50 S',
            'P95 S',
            'TOKENS IN/OUT',
          ],
          board.entries.map((entry, i) => [
            i + 1,
            `${entry.model_id} ${entry.model_name}`,
            `${entry.prompt_id} ${entry.prompt_text}`,
            entry.status,
            count(entry.n),
            percent(entry.accuracy),
            count(entry.failed),
            seconds(entry.latency_p50_s),
            seconds(entry.latency_p95_s),
            entry.prompt_tokens === null && entry.completion_tokens === null
              ? ''
              : `${count(entry.prompt_tokens ?? 0)}/${count(entry.completion_tokens ?? 0)}`,
          ]),
          32,
        ),
      );
    });
}
