import type { LeaderboardEntry } from '@evalq/api/types';
import { count, formatTable, percent } from './table.js';

const seconds = (value: number | null) => (value === null ? null : Number(value.toFixed(3)));

/** A dataset's leaderboard as a table, the way `evalq leaderboard` and the demo show it. */
export function formatLeaderboard(entries: LeaderboardEntry[]): string {
  return formatTable(
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
    entries.map((entry, i) => [
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
  );
}
