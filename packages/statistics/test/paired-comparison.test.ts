import { describe, expect, it } from 'vitest';
import { comparePaired } from '@evalq/statistics';

describe('comparePaired', () => {
  it('names the winner only when the disagreements are significant', () => {
    // 6 disagreements all one way: p = 2 / 64 < 0.05, B wins.
    const b = comparePaired({ both: 10, a_only: 0, b_only: 6, neither: 4 }, [
      { value: 0, count: 14 },
      { value: -1, count: 6 },
    ]);
    expect(b).toMatchObject({ n_paired: 20, a_pass: 10, b_pass: 16, winner: 'b' });
    expect(b.mcnemar_p).toBeCloseTo(2 / 64, 15);
    expect(b.score_diff).toBeCloseTo(-6 / 20, 15);
    // 2 against 8: p = 112 / 1024 ≥ 0.05, no winner.
    const none = comparePaired({ both: 0, a_only: 8, b_only: 2, neither: 0 }, [
      { value: 1, count: 8 },
      { value: -1, count: 2 },
    ]);
    expect(none.winner).toBeNull();
    expect(none.mcnemar_p).toBeCloseTo(112 / 1024, 15);
  });

  it('reports no difference and p = 1 without pairs', () => {
    expect(comparePaired({ both: 0, a_only: 0, b_only: 0, neither: 0 }, [])).toMatchObject({
      n_paired: 0,
      mcnemar_p: 1,
      score_diff: null,
      score_diff_ci95: null,
      winner: null,
    });
  });
});
