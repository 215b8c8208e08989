import { describe, expect, it } from 'vitest';
import { classificationReport } from '@evalq/statistics';

describe('classificationReport', () => {
  it('computes per-label precision, recall, F1 and the confusion matrix', () => {
    // expected → predicted: counts worked out below by hand.
    const report = classificationReport([
      { expected: 'positive', predicted: 'positive', count: 40 },
      { expected: 'positive', predicted: 'negative', count: 10 },
      { expected: 'negative', predicted: 'negative', count: 30 },
      { expected: 'negative', predicted: 'positive', count: 5 },
      { expected: 'negative', predicted: 'i am not sure', count: 5 },
      { expected: 'neutral', predicted: 'neutral', count: 2 },
      { expected: 'neutral', predicted: 'positive', count: 6 },
      { expected: 'neutral', predicted: 'mixed', count: 2 },
    ]);
    expect(report.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(report.n).toBe(100);
    expect(report.accuracy).toBeCloseTo(72 / 100, 15);
    expect(report.confusion).toEqual([
      [30, 0, 5, 5],
      [0, 2, 6, 2],
      [10, 0, 40, 0],
    ]);
    const [negative, neutral, positive] = report.per_label;
    // negative: TP 30, predicted 40 (30 + 10), support 40 (30 + 5 + 5)
    expect(negative).toMatchObject({ label: 'negative', support: 40, predicted: 40 });
    expect(negative!.precision).toBeCloseTo(0.75, 15);
    expect(negative!.recall).toBeCloseTo(0.75, 15);
    expect(negative!.f1).toBeCloseTo(0.75, 15);
    // neutral: TP 2, predicted 2, support 10: P = 1, R = 0.2, F1 = 2·0.2/1.2
    expect(neutral!.precision).toBe(1);
    expect(neutral!.recall).toBeCloseTo(0.2, 15);
    expect(neutral!.f1).toBeCloseTo(0.4 / 1.2, 15);
    // positive: TP 40, predicted 51 (40 + 5 + 6), support 50
    expect(positive!.precision).toBeCloseTo(40 / 51, 15);
    expect(positive!.recall).toBeCloseTo(0.8, 15);
    expect(positive!.f1).toBeCloseTo((2 * (40 / 51) * 0.8) / (40 / 51 + 0.8), 15);
    expect(report.macro_recall).toBeCloseTo((0.75 + 0.2 + 0.8) / 3, 15);
    expect(report.outside_label_set).toEqual({
      count: 7,
      top: [
        { predicted: 'i am not sure', count: 5 },
        { predicted: 'mixed', count: 2 },
      ],
    });
  });

  it('leaves precision null for a label never predicted, and F1 0 when nothing is right', () => {
    const report = classificationReport([
      { expected: 'a', predicted: 'b', count: 3 },
      { expected: 'b', predicted: 'b', count: 0 },
      { expected: 'c', predicted: 'b', count: 1 },
    ]);
    expect(report.labels).toEqual(['a', 'c']);
    expect(report.per_label.map((m) => [m.precision, m.recall, m.f1])).toEqual([
      [null, 0, null],
      [null, 0, null],
    ]);
    expect(report.accuracy).toBe(0);
    expect(classificationReport([]).accuracy).toBeNull();
  });
});
