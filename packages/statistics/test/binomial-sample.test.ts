import { describe, expect, it } from 'vitest';
import { seededRandom } from '@evalq/core';
import { binomialSample } from '@evalq/statistics';

/** P(X = k) for X ~ Binomial(n, p), by the recurrence P(k+1) = P(k)·(n−k)/(k+1)·p/(1−p), in logs. */
function pmf(n: number, p: number): number[] {
  const logs = [n * Math.log1p(-p)];
  for (let k = 0; k < n; k += 1) {
    logs.push(logs[k]! + Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p)));
  }
  return logs.map(Math.exp);
}

/** Pearson's χ² of draws against the pmf, over cells with an expected count of at least 5. */
function chiSquare(n: number, p: number, draws: number[]): { statistic: number; cells: number } {
  const expected = pmf(n, p).map((mass) => mass * draws.length);
  const observed = new Array<number>(n + 1).fill(0);
  for (const k of draws) observed[k]! += 1;
  let statistic = 0;
  let cells = 0;
  let pooledObserved = 0;
  let pooledExpected = 0;
  for (let k = 0; k <= n; k += 1) {
    if (expected[k]! >= 5) {
      statistic += (observed[k]! - expected[k]!) ** 2 / expected[k]!;
      cells += 1;
    } else {
      pooledObserved += observed[k]!;
      pooledExpected += expected[k]!;
    }
  }
  if (pooledExpected > 0) {
    statistic += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    cells += 1;
  }
  return { statistic, cells };
}

describe('binomialSample', () => {
  // Each case runs one of the three paths: inversion, transformed rejection, and the
  // mirror for p > ½. 100,000 seeded draws; the χ² statistic must stay below the
  // 99.9th percentile of χ² with (cells − 1) degrees of freedom, bounded by
  // df + 4.5·√(2·df) (the Wilson–Hilferty 99.9% point is below it for df ≥ 5).
  for (const [n, p] of [
    [20, 0.3],
    [1000, 0.4],
    [60, 0.93],
    [100_000, 0.02],
  ] as const) {
    it(`draws Binomial(${n}, ${p}) with the right distribution`, () => {
      const random = seededRandom(n);
      const draws = Array.from({ length: 100_000 }, () => binomialSample(n, p, random));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThanOrEqual(n);
      const mean = draws.reduce((s, k) => s + k, 0) / draws.length;
      const variance = draws.reduce((s, k) => s + (k - mean) ** 2, 0) / (draws.length - 1);
      const sd = Math.sqrt(n * p * (1 - p));
      // The sample mean is within 5 standard errors of np.
      expect(Math.abs(mean - n * p)).toBeLessThan((5 * sd) / Math.sqrt(draws.length));
      expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.97);
      expect(variance / (n * p * (1 - p))).toBeLessThan(1.03);
      const { statistic, cells } = chiSquare(n, p, draws);
      const df = cells - 1;
      expect(statistic).toBeLessThan(df + 4.5 * Math.sqrt(2 * df));
    });
  }

  it('handles the edges: no trials, p = 0 and p = 1', () => {
    const random = seededRandom(1);
    expect(binomialSample(0, 0.5, random)).toBe(0);
    expect(binomialSample(10, 0, random)).toBe(0);
    expect(binomialSample(10, 1, random)).toBe(10);
  });
});
