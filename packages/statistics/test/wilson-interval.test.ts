import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '@evalq/statistics';

/**
 * The Wilson interval in its other textbook form,
 * (2np̂ + z² ± z·√(z² + 4np̂(1 − p̂))) / (2(n + z²)), written out independently.
 */
function wilsonByHand(passed: number, n: number): [number, number] {
  const z = 1.96;
  const p = passed / n;
  const root = z * Math.sqrt(z * z + 4 * n * p * (1 - p));
  return [
    (2 * n * p + z * z - root) / (2 * (n + z * z)),
    (2 * n * p + z * z + root) / (2 * (n + z * z)),
  ];
}

describe('wilsonInterval', () => {
  it("matches Newcombe's published Wilson intervals (Statistics in Medicine, 1998, table I)", () => {
    const published: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [passed, n, low, high] of published) {
      const [lo, hi] = wilsonInterval(passed, n)!;
      expect(lo).toBeCloseTo(low, 4);
      expect(hi).toBeCloseTo(high, 4);
    }
  });

  it('equals the formula written out, for rates from 0 to 1 and small and large n', () => {
    for (const [passed, n] of [
      [0, 1],
      [1, 1],
      [3, 7],
      [50, 100],
      [999, 1000],
      [712_345, 1_000_000],
    ] as const) {
      const [lo, hi] = wilsonInterval(passed, n)!;
      const [low, high] = wilsonByHand(passed, n);
      expect(lo).toBeCloseTo(Math.max(0, low), 12);
      expect(hi).toBeCloseTo(Math.min(1, high), 12);
    }
  });

  it('is null when nothing was graded', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});
