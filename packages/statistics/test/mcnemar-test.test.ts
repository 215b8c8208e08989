import { describe, expect, it } from 'vitest';
import { mcnemarExactP } from '@evalq/statistics';

/** 2 · Σ_{k ≤ min} C(N, k) / 2^N in exact integer arithmetic, then as a float. */
function exactP(aOnly: number, bOnly: number): number {
  const total = BigInt(aOnly + bOnly);
  const smaller = BigInt(Math.min(aOnly, bOnly));
  let term = 1n; // C(N, 0)
  let tail = 0n;
  for (let k = 0n; k <= smaller; k += 1n) {
    tail += term;
    term = (term * (total - k)) / (k + 1n);
  }
  // 2 · tail / 2^N: keep tail's top 60 bits, and put the rest in the power of two.
  const shift = Math.max(0, tail.toString(2).length - 60);
  const ratio = Number(tail >> BigInt(shift)) * 2 ** (shift + 1 - Number(total));
  return Math.min(1, ratio);
}

describe('mcnemarExactP', () => {
  it('gives the binomial tail values one can work out by hand', () => {
    // N = 10, min 2: 2 · (1 + 10 + 45) / 1024
    expect(mcnemarExactP(2, 8)).toBeCloseTo(112 / 1024, 15);
    expect(mcnemarExactP(8, 2)).toBeCloseTo(112 / 1024, 15);
    // N = 6, min 0: 2 / 64
    expect(mcnemarExactP(0, 6)).toBeCloseTo(2 / 64, 15);
    // N = 10, min 1: 2 · 11 / 1024
    expect(mcnemarExactP(1, 9)).toBeCloseTo(22 / 1024, 15);
    // N = 5, min 0: 2 / 32; N = 1: 2 · ½ = 1
    expect(mcnemarExactP(5, 0)).toBeCloseTo(1 / 16, 15);
    expect(mcnemarExactP(1, 0)).toBe(1);
  });

  it('is 1 with no disagreements and caps at 1 when the two sides are even', () => {
    expect(mcnemarExactP(0, 0)).toBe(1);
    expect(mcnemarExactP(5, 5)).toBe(1);
    // N = 101, min 50: exactly half the mass, so 2 · ½ = 1 (up to rounding).
    expect(mcnemarExactP(50, 51)).toBeCloseTo(1, 12);
  });

  it('equals the exact integer computation for many disagreements, tiny p-values included', () => {
    for (const [a, b] of [
      [37, 12],
      [120, 80],
      [480, 520],
      [900, 1100],
      [10, 990],
      [4000, 4400],
    ] as const) {
      const expected = exactP(a, b);
      const got = mcnemarExactP(a, b);
      expect(Math.abs(got - expected) / expected).toBeLessThan(1e-9);
    }
  });

  it('does not underflow or overflow for a million disagreements', () => {
    expect(mcnemarExactP(500_000, 500_000)).toBe(1);
    const p = mcnemarExactP(499_000, 501_000);
    // z = (501,000 − 499,000) / √1,000,000 = 2: two-sided normal tail ≈ 0.0455.
    expect(p).toBeGreaterThan(0.044);
    expect(p).toBeLessThan(0.047);
    expect(mcnemarExactP(400_000, 600_000)).toBe(0);
  });
});
