/**
 * The statistics the tests expect, written out from their textbook formulas
 * (docs/grading.md), independently of packages/statistics.
 */

/** Wilson score 95% interval of k passes in n: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n). */
export function expectedWilson(k: number, n: number): [number, number] {
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [centre - half, Math.min(1, centre + half)];
}

/** McNemar's exact two-sided p: min(1, 2 · Σ_{k ≤ min} C(N, k) / 2^N), N = aOnly + bOnly; 1 when N = 0. */
export function expectedMcNemar(aOnly: number, bOnly: number): number {
  const n = aOnly + bOnly;
  if (n === 0) return 1;
  let tail = 0;
  let choose = 1;
  for (let k = 0; k <= Math.min(aOnly, bOnly); k += 1) {
    tail += choose / 2 ** n;
    choose = (choose * (n - k)) / (k + 1);
  }
  return Math.min(1, 2 * tail);
}
