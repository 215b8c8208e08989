import type { Run } from '@evalq/api/types';
import type { CandidateNames } from './candidate-names.js';
import { formatTable, percent } from './table.js';

/** A completed run's summary for the terminal: leaderboard, comparisons, best model per prompt. */
export function formatRunSummary(
  summary: NonNullable<Run['summary']>,
  names: CandidateNames,
): string {
  const board = formatTable(
    ['#', 'MODEL', 'PROMPT', 'N', 'ACCURACY', 'FAILED', 'P50 S', 'BEST'],
    summary.leaderboard.map((row, i) => [
      i + 1,
      row.model_name ?? names.model(row.model_id),
      row.prompt_label,
      row.n,
      percent(row.accuracy),
      row.failed,
      row.latency_p50_s === null ? '' : row.latency_p50_s.toFixed(3),
      row.round_table_winner ? '★' : '',
    ]),
  );
  const comparisons = summary.comparisons.map((c) => {
    const verdict =
      c.winner === null ? 'tie' : `${names.candidate(c.winner === 'a' ? c.a : c.b)} ahead`;
    return `  ${names.candidate(c.a)} vs ${names.candidate(c.b)}: ${percent(c.a_accuracy) || '-'} vs ${percent(c.b_accuracy) || '-'} (${verdict})`;
  });
  const winners = summary.winners.map(
    (w) =>
      `  ${names.prompt(w.prompt_id)}: ${w.model_id === null ? 'no single best model' : names.model(w.model_id)}`,
  );
  return [
    `Leaderboard (by ${summary.basis}; ★ best model of its prompt):`,
    board,
    ...(comparisons.length > 0 ? ['Comparisons:', ...comparisons] : []),
    'Best model per prompt:',
    ...winners,
  ].join('\n');
}
