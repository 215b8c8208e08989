import { describe, expect, it } from 'vitest';
import { pairedBootstrap, type DifferenceCount } from '@evalq/statistics';

/** A textbook bootstrap, written independently: resample n indexes, 2,000 times. */
function bootstrapByIndexes(values: number[], seed: number): [number, number] {
  let state = seed;
  // A different generator from the one under test (a 32-bit LCG), on purpose.
  const random = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const means: number[] = [];
  for (let r = 0; r < 2000; r += 1) {
    let sum = 0;
    for (let i = 0; i < values.length; i += 1) sum += values[Math.floor(random() * values.length)]!;
    means.push(sum / values.length);
  }
  means.sort((a, b) => a - b);
  return [means[49]!, means[1949]!];
}

function histogram(values: number[]): DifferenceCount[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count }));
}

describe('pairedBootstrap', () => {
  it('gives the same interval for the same data, every time (fixed seed)', () => {
    const data = [
      { value: 1, count: 37 },
      { value: -1, count: 12 },
      { value: 0, count: 151 },
    ];
    expect(pairedBootstrap(data)).toEqual(pairedBootstrap(data));
    expect(pairedBootstrap([...data].reverse())!.mean).toBeCloseTo(25 / 200, 15);
  });

  it('has a point interval when every pair differs by the same amount', () => {
    expect(pairedBootstrap([{ value: 0.25, count: 400 }])).toEqual({
      mean: 0.25,
      ci95: [0.25, 0.25],
      n: 400,
    });
    expect(pairedBootstrap([])).toBeNull();
  });

  it('agrees with a bootstrap by resampled indexes', () => {
    // 300 pairs: A better on 60, B better on 30, 0.5 apart on 40, equal on the rest.
    const values = [
      ...new Array<number>(60).fill(1),
      ...new Array<number>(30).fill(-1),
      ...new Array<number>(40).fill(0.5),
      ...new Array<number>(170).fill(0),
    ];
    const [low, high] = bootstrapByIndexes(values, 7);
    const got = pairedBootstrap(histogram(values))!;
    expect(got.mean).toBeCloseTo((60 - 30 + 20) / 300, 12);
    // Two different random streams: the ends agree to within the Monte Carlo error.
    expect(Math.abs(got.ci95[0] - low)).toBeLessThan(0.012);
    expect(Math.abs(got.ci95[1] - high)).toBeLessThan(0.012);
  });

  it('matches the normal approximation on a large sample: mean ± 1.96·sd/√n', () => {
    // 1,000,000 pairs of pass/fail scores.
    const data = [
      { value: 1, count: 120_000 },
      { value: -1, count: 100_000 },
      { value: 0, count: 780_000 },
    ];
    const n = 1_000_000;
    const mean = 0.02;
    const variance = (120_000 + 100_000) / n - mean * mean;
    const half = (1.96 * Math.sqrt(variance)) / Math.sqrt(n);
    const got = pairedBootstrap(data)!;
    expect(got.n).toBe(n);
    expect(got.mean).toBeCloseTo(mean, 12);
    expect(got.ci95[0]).toBeCloseTo(mean - half, 3);
    expect(got.ci95[1]).toBeCloseTo(mean + half, 3);
    expect(Math.abs(got.ci95[1] - got.ci95[0] - 2 * half) / (2 * half)).toBeLessThan(0.1);
  });

  it('groups thousands of distinct differences without moving the mean or the interval', () => {
    // 20,000 pairs whose differences are all distinct (continuous similarity scores).
    const values = Array.from({ length: 20_000 }, (_, i) => Math.sin(i) * 0.6 + 0.05);
    const n = values.length;
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    const got = pairedBootstrap(histogram(values))!;
    expect(got.mean).toBeCloseTo(mean, 12);
    expect(got.ci95[0]).toBeCloseTo(mean - (1.96 * sd) / Math.sqrt(n), 2);
    expect(got.ci95[1]).toBeCloseTo(mean + (1.96 * sd) / Math.sqrt(n), 2);
  });
});
