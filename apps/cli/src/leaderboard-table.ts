import type { LeaderboardEntry } from '@evalq/api/types';
import { count, formatTable, percent, statusText, usd } from './table.js';

const seconds = (value: number | null) => (value === null ? null : Number(value.toFixed(3)));

/**
 * A leaderboard as a table, the way `evalq leaderboard`, the demo and a run's summary
 * show it: N graded predictions, the pass rate (★ the round table's winner on its
 * prompt) with its Wilson 95% interval. `promptName` says how a prompt is shown (by
 * default its id and text).
 */
export function formatLeaderboard<E extends LeaderboardEntry>(
  entries: E[],
  promptName: (entry: E) => string = (entry) => `${entry.prompt_id} ${entry.prompt_text}`,
): string {
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
      'COST',
      'COST/PASS',
    ],
    entries.map((entry, i) => [
      i + 1,
      `${entry.model_id} ${entry.model_name}`,
      promptName(entry),
      statusText(entry),
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
      usd(entry.cost_usd),
      usd(entry.cost_per_pass_usd),
    ]),
    32,
  );
}
