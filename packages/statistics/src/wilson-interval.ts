/** z for a two-sided 95% interval. */
export const Z_95 = 1.96;

/**
 * The Wilson score interval of a pass rate: `passed` successes out of `n` trials.
 * Unlike the normal ("Wald") interval it stays inside [0, 1] and keeps its coverage
 * near 0 % and 100 % and for small n. Null when nothing was graded.
 */
export function wilsonInterval(passed: number, n: number, z = Z_95): [number, number] | null {
  if (n <= 0) return null;
  const p = passed / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
