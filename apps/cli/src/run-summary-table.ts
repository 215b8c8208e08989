import type { Run } from '@evalq/api/types';
import type { CandidateNames } from './candidate-names.js';
import { formatLeaderboard } from './leaderboard-table.js';
import { count, percent, usd } from './table.js';

/**
 * A completed run's summary for the terminal: its leaderboard (pass rates with their
 * intervals), the paired comparisons, and each prompt's round-table winner.
 */
export function formatRunSummary(
  summary: NonNullable<Run['summary']>,
  names: CandidateNames,
): string {
  const board = formatLeaderboard(summary.leaderboard, (entry) => entry.prompt_label);
  const comparisons = summary.comparisons.map((c) => {
    const ci = c.score_diff_ci95;
    return (
      `  ${names.candidate(c.a)} vs ${names.candidate(c.b)}: ` +
      `${c.a_only} vs ${c.b_only} rows won of ${c.n_paired} paired, McNemar p = ${c.mcnemar_p.toPrecision(2)}` +
      (ci ? `, score A − B ${ci[0].toFixed(3)} to ${ci[1].toFixed(3)}` : '') +
      ` → ${c.winner === null ? 'no significant difference' : `${names.candidate(c.winner === 'a' ? c.a : c.b)} wins`}`
    );
  });
  const winners = summary.winners.map(
    (w) =>
      `  ${names.prompt(w.prompt_id)}: ${w.model_id === null ? 'no model is significantly better than the rest' : names.model(w.model_id)}`,
  );
  const cost = summary.cost;
  return [
    'Leaderboard (pass rate with its 95% interval; ★ the round-table winner of its prompt):',
    board,
    ...(comparisons.length > 0
      ? ['Comparisons (same rows, exact McNemar test):', ...comparisons]
      : []),
    'Winner per prompt:',
    ...winners,
    `Cost: ${cost.cost_usd === null ? 'unknown (no model has a price)' : usd(cost.cost_usd)}` +
      (cost.cost_per_pass_usd === null ? '' : `, ${usd(cost.cost_per_pass_usd)} per passed row`) +
      `; ${count(cost.spent_tokens)} tokens` +
      (cost.cache_hit_rate === null ? '' : `; cache hit rate ${percent(cost.cache_hit_rate)}`),
  ].join('\n');
}
