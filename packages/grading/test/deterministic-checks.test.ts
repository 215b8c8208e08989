import { describe, expect, it } from 'vitest';
import { compileAssertions, gradeLocally, type GradingSubject } from '@evalq/grading';

const subject = (output: string, extra: Partial<GradingSubject> = {}): GradingSubject => ({
  output,
  expected: 'Positive',
  content: 'Great phone.',
  latency_s: 0.4,
  ...extra,
});

/** Grades one output with one assertion; returns pass and score of that assertion. */
function grade(assertion: object, output: string, extra: Partial<GradingSubject> = {}) {
  const verdict = gradeLocally(compileAssertions([assertion], null), subject(output, extra));
  const [result] = verdict.grading;
  return { pass: result!.pass, score: result!.score, reason: result!.reason, error: result!.error };
}

/** Levenshtein distance by the textbook dynamic programme, written out for the test. */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

describe('text assertions', () => {
  it('equals: trimmed, ignoring case; value defaults to expected_prediction', () => {
    expect(grade({ type: 'equals' }, '  positive\n').pass).toBe(true);
    expect(grade({ type: 'equals' }, 'Positive!').pass).toBe(false);
    expect(grade({ type: 'equals', value: 'yes' }, 'YES').pass).toBe(true);
    expect(grade({ type: 'equals' }, 'negative').reason).toBe(
      'expected "Positive", got "negative"',
    );
  });

  it('contains and starts-with are case-sensitive; icontains is not', () => {
    expect(grade({ type: 'contains' }, 'It is Positive.').pass).toBe(true);
    expect(grade({ type: 'contains' }, 'It is positive.').pass).toBe(false);
    expect(grade({ type: 'icontains' }, 'It is POSITIVE.').pass).toBe(true);
    expect(grade({ type: 'starts-with' }, 'Positive, clearly').pass).toBe(true);
    expect(grade({ type: 'starts-with' }, 'positive, clearly').pass).toBe(false);
    expect(grade({ type: 'starts-with', value: '' }, 'anything').pass).toBe(true);
  });
});

describe('regex', () => {
  it('matches with flags, and takes the pattern from the row when no value is given', () => {
    expect(grade({ type: 'regex', value: '^answer: \\d+$' }, 'answer: 42').pass).toBe(true);
    expect(grade({ type: 'regex', value: '^ANSWER' }, 'answer: 42').pass).toBe(false);
    expect(grade({ type: 'regex', value: '^ANSWER', flags: 'i' }, 'answer: 42').pass).toBe(true);
    expect(grade({ type: 'regex', value: '^b$' }, 'a\nb').pass).toBe(false);
    expect(grade({ type: 'regex', value: '^b$', flags: 'm' }, 'a\nb').pass).toBe(true);
    expect(grade({ type: 'regex', value: 'a.b', flags: 's' }, 'a\nb').pass).toBe(true);
    expect(grade({ type: 'regex' }, 'total 1234', { expected: '\\d{4}' }).pass).toBe(true);
  });

  it("leaves a row ungraded, with the reason, when the row's own pattern does not compile", () => {
    const result = grade({ type: 'regex' }, 'x', { expected: '(x' });
    expect(result.pass).toBeNull();
    expect(result.error).toMatch(/the row's pattern does not compile/);
  });

  it('cannot be stalled: a pattern that backtracks exponentially elsewhere runs in linear time', () => {
    // With a backtracking engine, (a+)+$ on "aaa…ab" takes about 2^n steps; n = 100,000
    // would not finish. RE2's automaton reads each character once.
    const hostile = `${'a'.repeat(100_000)}b`;
    expect(grade({ type: 'regex', value: '(a+)+$' }, hostile).pass).toBe(false);
    expect(grade({ type: 'regex', value: '(x+x+)+y' }, 'x'.repeat(50_000)).pass).toBe(false);
  });
});

describe('is-json', () => {
  it('parses the whole output, scalars included', () => {
    expect(grade({ type: 'is-json' }, '{"a": 1}').pass).toBe(true);
    expect(grade({ type: 'is-json' }, ' 42 ').pass).toBe(true);
    expect(grade({ type: 'is-json' }, '"text"').pass).toBe(true);
    expect(grade({ type: 'is-json' }, 'null').pass).toBe(true);
    expect(grade({ type: 'is-json' }, "{'a': 1}").pass).toBe(false);
  });

  it('parses the one fenced code block, with or without a language tag', () => {
    expect(grade({ type: 'is-json' }, 'Here:\n```json\n{"a": [1, 2]}\n```\nDone.').pass).toBe(true);
    expect(grade({ type: 'is-json' }, 'Here:\n```\n[1, 2]\n```').pass).toBe(true);
    // Two blocks: the whole output is parsed, and it is not JSON.
    expect(grade({ type: 'is-json' }, '```\n1\n```\n```\n2\n```').pass).toBe(false);
  });

  it('validates against a JSON Schema', () => {
    const schema = {
      type: 'object',
      required: ['sentiment'],
      properties: {
        sentiment: { enum: ['positive', 'negative'] },
        code: { pattern: '^[A-Z]{2}$' },
      },
    };
    expect(grade({ type: 'is-json', schema }, '{"sentiment": "positive", "code": "FR"}').pass).toBe(
      true,
    );
    const wrong = grade({ type: 'is-json', schema }, '```json\n{"sentiment": "meh"}\n```');
    expect(wrong.pass).toBe(false);
    expect(wrong.reason).toMatch(/does not match the schema: \/sentiment must be equal to one of/);
    expect(
      grade({ type: 'is-json', schema }, '{"sentiment": "positive", "code": "fra"}').pass,
    ).toBe(false);
  });
});

describe('number', () => {
  it('compares the first number in the output with value, within tolerance', () => {
    expect(grade({ type: 'number', value: 42 }, 'The answer is 42.').pass).toBe(true);
    expect(grade({ type: 'number', value: 42 }, 'The answer is 42.5').pass).toBe(false);
    expect(grade({ type: 'number', value: 42, tolerance: 0.5 }, 'about 42.5 or 7').pass).toBe(true);
    expect(
      grade({ type: 'number', value: 0.3 }, '0.1 + 0.2 = 0.3 … well, -0.3? no: 0.30').pass,
    ).toBe(
      false, // the first number is 0.1
    );
    expect(grade({ type: 'number' }, 'It is -3.25 degrees', { expected: '-3.25' }).pass).toBe(true);
  });

  it('fails with a reason when there is no number or the value is not one', () => {
    expect(grade({ type: 'number', value: 1 }, 'none here')).toMatchObject({
      pass: false,
      reason: 'no number in the output',
    });
    expect(grade({ type: 'number' }, '12', { expected: 'twelve' })).toMatchObject({
      pass: false,
      reason: 'the expected value "twelve" is not a number',
    });
  });
});

describe('similar', () => {
  it('scores 1 − Levenshtein distance ÷ the longer length, on trimmed lower-cased text', () => {
    for (const [output, value] of [
      ['kitten', 'sitting'],
      ['  The Quick brown fox ', 'the quick brown fax'],
      ['completely different', 'nothing alike at all'],
      ['same', 'SAME'],
    ] as const) {
      const a = output.trim().toLowerCase();
      const b = value.trim().toLowerCase();
      const similarity = 1 - levenshtein(a, b) / Math.max(a.length, b.length);
      const result = grade({ type: 'similar', value }, output);
      expect(result.score).toBeCloseTo(similarity, 12);
      expect(result.pass).toBe(similarity >= 0.8);
    }
    expect(grade({ type: 'similar', value: 'sitting', threshold: 0.5 }, 'kitten').pass).toBe(true);
  });
});

describe('latency', () => {
  it('passes when the call took at most value seconds', () => {
    expect(grade({ type: 'latency', value: 0.5 }, 'x', { latency_s: 0.5 }).pass).toBe(true);
    expect(grade({ type: 'latency', value: 0.5 }, 'x', { latency_s: 0.51 }).pass).toBe(false);
  });
});
