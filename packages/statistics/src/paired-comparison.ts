import { mcnemarExactP } from './mcnemar-test.js';
import {
  pairedBootstrap,
  type BootstrapOptions,
  type DifferenceCount,
} from './paired-bootstrap.js';

/** Verdicts of two candidates on the rows where both have one. */
export interface PairedVerdicts {
  both: number;
  a_only: number;
  b_only: number;
  neither: number;
}

export interface PairedComparison extends PairedVerdicts {
  n_paired: number;
  a_pass: number;
  b_pass: number;
  mcnemar_p: number;
  /** Mean of A's score − B's score; null with no pairs. */
  score_diff: number | null;
  score_diff_ci95: [number, number] | null;
  /** The candidate that passes more rows, when the difference is significant (p < 0.05). */
  winner: 'a' | 'b' | null;
}

export const SIGNIFICANCE_LEVEL = 0.05;

/**
 * Is A or B better on the same rows? McNemar's exact test on the rows where exactly
 * one passes decides the winner; the bootstrap interval of the mean score difference
 * says by how much.
 */
export function comparePaired(
  verdicts: PairedVerdicts,
  differences: readonly DifferenceCount[],
  options?: BootstrapOptions,
): PairedComparison {
  const { both, a_only, b_only, neither } = verdicts;
  const mcnemarP = mcnemarExactP(a_only, b_only);
  const bootstrap = pairedBootstrap(differences, options);
  return {
    n_paired: both + a_only + b_only + neither,
    a_pass: both + a_only,
    b_pass: both + b_only,
    both,
    a_only,
    b_only,
    neither,
    mcnemar_p: mcnemarP,
    score_diff: bootstrap?.mean ?? null,
    score_diff_ci95: bootstrap?.ci95 ?? null,
    winner:
      mcnemarP < SIGNIFICANCE_LEVEL && a_only !== b_only ? (a_only > b_only ? 'a' : 'b') : null,
  };
}
