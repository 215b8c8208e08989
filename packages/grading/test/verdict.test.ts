import { describe, expect, it } from 'vitest';
import { compileAssertions, gradeLocally, type GradingSubject } from '@evalq/grading';

const subject: GradingSubject = {
  output: 'The answer is 42',
  expected: '42',
  content: 'What is six times seven?',
  latency_s: 2,
};

const grade = (assertions: object[], threshold: number | null = null) =>
  gradeLocally(compileAssertions(assertions, threshold), subject);

describe('a prediction’s verdict', () => {
  it('passes when every counted assertion passes; its score is the weighted mean', () => {
    const verdict = grade([
      { type: 'contains' }, // pass, 1
      { type: 'number' }, // pass, 1
      { type: 'latency', value: 1, weight: 3 }, // fail, 0
    ]);
    expect(verdict.passed).toBe(false);
    expect(verdict.score).toBeCloseTo((1 + 1 + 3 * 0) / 5, 15);
    expect(verdict.grading.map((r) => [r.type, r.pass, r.score, r.weight])).toEqual([
      ['contains', true, 1, 1],
      ['number', true, 1, 1],
      ['latency', false, 0, 3],
    ]);
  });

  it('with a threshold, passes when the score reaches it', () => {
    const assertions = [
      { type: 'contains' },
      { type: 'latency', value: 1 },
      { type: 'similar', value: 'the answer is 42!' },
    ];
    // scores: 1, 0, similarity = 1 − 1/17
    const score = (1 + 0 + (1 - 1 / 17)) / 3;
    expect(grade(assertions, 0.6)).toMatchObject({ passed: true });
    expect(grade(assertions, 0.6).score).toBeCloseTo(score, 12);
    expect(grade(assertions, 0.7).passed).toBe(score >= 0.7);
    expect(grade(assertions, score).passed).toBe(true);
  });

  it('inverts pass and score with not', () => {
    const verdict = grade([
      { type: 'contains', value: 'sorry', not: true },
      { type: 'similar', value: 'The answer is 4', not: true },
    ]);
    expect(verdict.grading[0]).toMatchObject({ pass: true, score: 1, not: true });
    // similarity 1 − 1/16 = 0.9375 passes, so not fails with score 0.0625
    expect(verdict.grading[1]!.pass).toBe(false);
    expect(verdict.grading[1]!.score).toBeCloseTo(1 / 16, 12);
    expect(verdict.passed).toBe(false);
  });

  it('records an assertion of weight 0 without counting it', () => {
    const verdict = grade([{ type: 'contains' }, { type: 'latency', value: 1, weight: 0 }]);
    expect(verdict).toMatchObject({ passed: true, score: 1 });
    expect(verdict.grading[1]).toMatchObject({ pass: false, weight: 0 });
  });

  it('is ungraded when a counted assertion cannot be decided', () => {
    const verdict = gradeLocally(
      compileAssertions([{ type: 'regex' }, { type: 'contains' }], null),
      {
        ...subject,
        expected: '[unclosed',
      },
    );
    expect(verdict.passed).toBeNull();
    expect(verdict.score).toBeNull();
    expect(verdict.grading[0]!.error).toMatch(/does not compile/);
  });
});
