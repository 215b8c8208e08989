import { seededRandom } from '@evalq/core';
import { binomialSample } from './binomial-sample.js';

/** How many values of the paired differences there are of each (from one SQL GROUP BY). */
export interface DifferenceCount {
  value: number;
  count: number;
}

export interface BootstrapOptions {
  resamples?: number;
  /** The same seed and data always give the same interval. */
  seed?: number;
  /** Above this many distinct differences, they are grouped (see below). */
  maxGroups?: number;
}

export const BOOTSTRAP_RESAMPLES = 2_000;
export const BOOTSTRAP_SEED = 20_240_917;
const MAX_GROUPS = 1_024;

export interface BootstrapInterval {
  /** Mean of the differences over the n pairs. */
  mean: number;
  /** The 2.5th and 97.5th percentiles of the resampled means. */
  ci95: [number, number];
  n: number;
}

/**
 * Paired bootstrap of the mean of per-pair differences (A's score − B's score on the
 * same row). A resample draws n pairs with replacement; only how many times each
 * difference value is drawn matters to its mean, so each resample draws those counts
 * (a multinomial, as a chain of binomials) instead of n indexes. A resample then costs
 * O(distinct values), not O(n): a million pairs of pass/fail scores have three
 * differences (−1, 0, 1).
 *
 * When there are more than `maxGroups` distinct differences (continuous scores), they
 * are grouped into that many equal-width bins, each carrying the exact mean of its
 * members: the mean is unchanged, and the interval's ends move by less than one bin
 * width (2 / 1,024 ≈ 0.002 at most, far less in practice).
 */
export function pairedBootstrap(
  differences: readonly DifferenceCount[],
  options: BootstrapOptions = {},
): BootstrapInterval | null {
  const groups = groupDifferences(
    differences.filter((d) => d.count > 0),
    options.maxGroups ?? MAX_GROUPS,
  );
  const n = groups.reduce((sum, g) => sum + g.count, 0);
  if (n === 0) return null;
  const mean = groups.reduce((sum, g) => sum + g.value * g.count, 0) / n;
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const random = seededRandom(options.seed ?? BOOTSTRAP_SEED);

  // Probability of each group given that none of the groups before it was drawn.
  const conditional: number[] = [];
  let massLeft = n;
  for (const group of groups) {
    conditional.push(massLeft > 0 ? Math.min(1, group.count / massLeft) : 0);
    massLeft -= group.count;
  }

  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r += 1) {
    let left = n;
    let sum = 0;
    for (let g = 0; g < groups.length && left > 0; g += 1) {
      const drawn = g === groups.length - 1 ? left : binomialSample(left, conditional[g]!, random);
      sum += drawn * groups[g]!.value;
      left -= drawn;
    }
    means[r] = sum / n;
  }
  means.sort();
  return { mean, ci95: [percentile(means, 0.025), percentile(means, 0.975)], n };
}

/** The value below which a share `q` of the sorted values lie (nearest rank). */
function percentile(sorted: Float64Array, q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

function groupDifferences(
  differences: readonly DifferenceCount[],
  maxGroups: number,
): DifferenceCount[] {
  if (differences.length <= maxGroups) return [...differences];
  let low = Infinity;
  let high = -Infinity;
  for (const d of differences) {
    low = Math.min(low, d.value);
    high = Math.max(high, d.value);
  }
  const width = (high - low) / maxGroups;
  const sums = new Float64Array(maxGroups);
  const counts = new Float64Array(maxGroups);
  for (const d of differences) {
    const bin = Math.min(maxGroups - 1, Math.floor((d.value - low) / width));
    sums[bin]! += d.value * d.count;
    counts[bin]! += d.count;
  }
  const grouped: DifferenceCount[] = [];
  for (let bin = 0; bin < maxGroups; bin += 1) {
    if (counts[bin]! > 0) grouped.push({ value: sums[bin]! / counts[bin]!, count: counts[bin]! });
  }
  return grouped;
}
