import { describe, expect, it } from 'vitest';
import {
  compileAssertions,
  gradePrediction,
  renderRubric,
  type GradingSubject,
  type JudgeCall,
} from '@evalq/grading';

const subject: GradingSubject = {
  output: 'Paris',
  expected: 'Paris, France',
  content: 'Capital of France?',
  variables: { lang: 'en', meta: { level: 2, tags: ['geo'] } },
  latency_s: 0.2,
};

/** A judge that answers `reply` and reports what it was asked. */
function judgeAnswering(
  reply: string,
  asked: { model_id: number; prompt: string }[] = [],
): JudgeCall {
  return (request) => {
    asked.push(request);
    return Promise.resolve({ text: reply, prompt_tokens: 120, completion_tokens: 7 });
  };
}

describe('llm-judge', () => {
  it('renders the rubric over output, expected, content and the row variables', () => {
    expect(
      renderRubric(
        'Q: {{content}} A: {{ output }} Gold: {{expected}} ({{lang}}, level {{meta.level}}, {{meta.tags}}) {{unknown}}',
        subject,
        subject.expected,
      ),
    ).toBe('Q: Capital of France? A: Paris Gold: Paris, France (en, level 2, ["geo"]) {{unknown}}');
  });

  it('with labels: passes on a passing label, trimmed and ignoring case, and records the tokens', async () => {
    const asked: { model_id: number; prompt: string }[] = [];
    const compiled = compileAssertions(
      [
        {
          type: 'llm-judge',
          model_id: 7,
          rubric: 'Is "{{output}}" a correct answer to "{{content}}"?',
          labels: ['correct', 'partly', 'wrong'],
          pass_labels: ['correct', 'partly'],
        },
      ],
      null,
    );
    const verdict = await gradePrediction(compiled, subject, judgeAnswering('  Partly\n', asked));
    expect(verdict.passed).toBe(true);
    expect(verdict.grading[0]).toMatchObject({
      type: 'llm-judge',
      pass: true,
      score: 1,
      model_id: 7,
      prompt_tokens: 120,
      completion_tokens: 7,
    });
    expect(asked).toEqual([
      {
        model_id: 7,
        prompt:
          'Is "Paris" a correct answer to "Capital of France?"?\n\n' +
          'Answer with exactly one of these labels and nothing else: correct, partly, wrong',
      },
    ]);
    expect((await gradePrediction(compiled, subject, judgeAnswering('WRONG'))).passed).toBe(false);
  });

  it('with labels: a reply outside the labels leaves the prediction ungraded, with the reason', async () => {
    const compiled = compileAssertions(
      [
        {
          type: 'llm-judge',
          model_id: 7,
          rubric: 'r',
          labels: ['yes', 'no'],
          pass_labels: ['yes'],
        },
      ],
      null,
    );
    const verdict = await gradePrediction(compiled, subject, judgeAnswering('Yes, definitely.'));
    expect(verdict).toMatchObject({ passed: null, score: null });
    expect(verdict.grading[0]!.error).toBe(
      'the judge answered "Yes, definitely.", which is none of the labels yes, no',
    );
    expect(verdict.grading[0]!.prompt_tokens).toBe(120);
  });

  it('without labels: reads the JSON object, alone or inside other text', async () => {
    const compiled = compileAssertions(
      [{ type: 'llm-judge', model_id: 2, rubric: 'Grade {{output}} against {{expected}}.' }],
      null,
    );
    const plain = await gradePrediction(
      compiled,
      subject,
      judgeAnswering('{"pass": true, "score": 0.7, "reason": "right city, no country"}'),
    );
    expect(plain.passed).toBe(true);
    expect(plain.score).toBeCloseTo(0.7, 15);
    expect(plain.grading[0]!.reason).toBe('right city, no country');

    const wrapped = await gradePrediction(
      compiled,
      subject,
      judgeAnswering('Here is my verdict:\n```json\n{"pass": false}\n```'),
    );
    expect(wrapped).toMatchObject({ passed: false, score: 0 });

    for (const reply of ['I think it passes', '{"pass": "yes"}', '{"pass": true, "score": 3}']) {
      const unreadable = await gradePrediction(compiled, subject, judgeAnswering(reply));
      expect(unreadable.passed).toBeNull();
      expect(unreadable.grading[0]!.error).toMatch(/judge/);
    }
  });

  it('a judge that fails leaves the prediction ungraded, with the error, and the other results kept', async () => {
    const compiled = compileAssertions(
      [
        { type: 'icontains', value: 'paris' },
        { type: 'llm-judge', model_id: 9, rubric: 'r' },
      ],
      null,
    );
    const failing: JudgeCall = () =>
      Promise.reject(new Error('timeout after 30000 ms (3 attempts)'));
    const verdict = await gradePrediction(compiled, subject, failing);
    expect(verdict).toMatchObject({ passed: null, score: null });
    expect(verdict.grading).toEqual([
      { type: 'icontains', pass: true, score: 1, weight: 1 },
      {
        type: 'llm-judge',
        pass: null,
        score: null,
        weight: 1,
        model_id: 9,
        error: 'judge model 9 failed: timeout after 30000 ms (3 attempts)',
      },
    ]);
  });
});
