import { describe, expect, it } from 'vitest';
import { assertionListSchema, sameAssertions } from '@evalq/grading';

/** Each problem as `path: message`, the way the API reports it. */
function problems(list: unknown): string[] {
  const result = assertionListSchema.safeParse(list);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('assertion lists', () => {
  it('fills in the defaults, so a stored list says what is applied', () => {
    expect(
      assertionListSchema.parse([
        { type: 'equals' },
        { type: 'similar', value: 'x' },
        { type: 'number', not: true },
      ]),
    ).toEqual([
      { type: 'equals', weight: 1, not: false },
      { type: 'similar', value: 'x', threshold: 0.8, weight: 1, not: false },
      { type: 'number', tolerance: 0, weight: 1, not: true },
    ]);
  });

  it('names the index and field of each problem', () => {
    expect(
      problems([
        { type: 'equals' },
        { type: 'contains', weight: -1 },
        { type: 'containz' },
        { type: 'regex', value: '(unclosed' },
        { type: 'regex', value: '(?<=look)behind' },
        { type: 'llm-judge', rubric: 'Is {{output}} right?' },
        { type: 'is-json', schema: { type: 'objekt' } },
        { type: 'is-json', schema: { propertiez: {} } },
        { type: 'latency' },
        { type: 'regex', value: 'a', flags: 'x' },
        { type: 'equals', vlaue: 'typo' },
      ]),
    ).toEqual(
      [
        '1.weight: must be 0 or more (0 records the assertion without counting it)',
        expect.stringMatching(/^2\.type: unknown assertion type; use one of equals, /),
        expect.stringMatching(/^3\.value: does not compile: missing closing \)/),
        expect.stringMatching(/^4\.value: does not compile: .*no lookaround/),
        '5.model_id: needs model_id: the id of a registered model that acts as the judge',
        expect.stringMatching(/^6\.schema: not a JSON Schema: schema\/type must be/),
        expect.stringMatching(
          /^7\.schema: not a usable JSON Schema: .*unknown keyword: "propertiez"/,
        ),
        '8.value: needs value: the most seconds the call may take',
        '9.flags: use any of i, m and s, each at most once',
        expect.stringMatching(/^10: Unrecognized key: "vlaue"/),
      ].map((p) => (typeof p === 'string' ? p.replace(/^/, '') : p)),
    );
  });

  it('checks judge labels: both or neither, and passing labels among the labels', () => {
    expect(
      problems([
        { type: 'llm-judge', model_id: 3, rubric: 'r', labels: ['good', 'bad'] },
        {
          type: 'llm-judge',
          model_id: 3,
          rubric: 'r',
          labels: ['good', 'bad'],
          pass_labels: ['GOOD', 'great'],
        },
      ]),
    ).toEqual([
      '0.pass_labels: give labels and pass_labels together, or neither (the judge then answers JSON)',
      '1.pass_labels.1: "great" is not one of labels',
    ]);
  });

  it('refuses an empty list and a list where nothing counts', () => {
    expect(problems([])).toEqual([
      ': give at least one assertion (leave the field out for the default, equals)',
    ]);
    expect(problems([{ type: 'equals', weight: 0 }])).toEqual([
      ': at least one assertion needs a weight above 0, or nothing would be graded',
    ]);
  });

  it('compares setups after defaults, whatever the key order', () => {
    const stored = { assertions: [{ type: 'equals' }], threshold: null };
    expect(
      sameAssertions(stored, {
        assertions: [{ weight: 1, type: 'equals', not: false }],
        threshold: null,
      }),
    ).toBe(true);
    expect(sameAssertions(stored, { assertions: [{ type: 'equals' }], threshold: 0.5 })).toBe(
      false,
    );
    expect(
      sameAssertions(
        {
          assertions: [{ type: 'is-json', schema: { type: 'object', required: ['a'] } }],
          threshold: null,
        },
        {
          assertions: [{ type: 'is-json', schema: { required: ['a'], type: 'object' } }],
          threshold: null,
        },
      ),
    ).toBe(true);
  });
});
