import type { Comparison } from '@evalq/api/types';
import { count, formatTable } from './table.js';

/**
 * Two candidates compared on the same rows, for the terminal: the 2×2 table of
 * verdicts, the McNemar p-value and score interval, and the verdict in words.
 */
export function formatComparison(result: Comparison, labelA: string, labelB: string): string {
  const ci = result.score_diff_ci95;
  return [
    formatContingency(result, labelA, labelB),
    `McNemar exact p = ${result.mcnemar_p.toPrecision(3)}; mean score A − B = ` +
      (result.score_diff === null || ci === null
        ? '–'
        : `${result.score_diff.toFixed(4)} (95% bootstrap interval ${ci[0].toFixed(4)} to ${ci[1].toFixed(4)})`),
    result.winner === null
      ? `${result.verdict}: no winner`
      : `${result.verdict}: ${result.winner === 'a' ? labelA : labelB} is better`,
  ].join('\n');
}

/** The 2×2 table of verdicts with its margins. */
function formatContingency(result: Comparison, labelA: string, labelB: string): string {
  return formatTable(
    ['', `${labelB} PASSES`, `${labelB} FAILS`, 'TOTAL'],
    [
      [`${labelA} passes`, count(result.both), count(result.a_only), count(result.a_pass)],
      [
        `${labelA} fails`,
        count(result.b_only),
        count(result.neither),
        count(result.n_paired - result.a_pass),
      ],
      [
        'total',
        count(result.b_pass),
        count(result.n_paired - result.b_pass),
        count(result.n_paired),
      ],
    ],
  );
}
