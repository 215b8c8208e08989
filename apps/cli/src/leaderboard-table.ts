import type { LeaderboardEntry } from './api-types.js';
import { count, formatTable, percent } from './table.js';

const seconds = (value: number | null) => (value === null ? null : Number(value.toFixed(3)));

/**
 * A dataset's leaderboard as a table, the way `evalq leaderboard` and the demo show it:
 * N graded predictions, the pass rate (★ the round table's winner on its prompt) with
 * its Wilson 95% interval.
 */
export function formatLeaderboard(entries: LeaderboardEntry[]): string {
  return formatTable(
    [
      '#',
      'MODEL',
      'PROMPT',
      'STATUS',
      'N',
      'PASS RATE',
      '95% CI',
      'SCORE',
      'FAILED',
      'UNGRADED',
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
      `${percent(entry.pass_rate)}${entry.round_table_winner ? ' ★' : ''}`,
      entry.pass_rate_ci95
        ? `${percent(entry.pass_rate_ci95[0])}–${percent(entry.pass_rate_ci95[1])}`
        : '',
      entry.mean_score === null ? '' : Number(entry.mean_score.toFixed(3)),
      count(entry.failed),
      `${count(entry.ungraded)}${entry.regrading ? ' (regrading)' : ''}`,
      seconds(entry.latency_p50_s),
      seconds(entry.latency_p95_s),
      entry.prompt_tokens === null && entry.completion_tokens === null
        ? ''
        : `${count(entry.prompt_tokens ?? 0)}/${count(entry.completion_tokens ?? 0)}`,
    ]),
    32,
  );
}
