import { coerceErrorMessage } from './error-message.js';
import type { CompiledAssertions, JudgeCheck, LocalCheck } from './compile-assertions.js';
import type { CheckOutcome, GradingSubject } from './grading-subject.js';
import { decideVerdict, type AssertionResult, type Verdict } from './verdict.js';

/** What a judge model answered, and what the call cost. */
export interface JudgeAnswer {
  text: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** The call's cost in USD; null (or absent) when the judge model has no price. */
  cost_usd?: number | null;
}

/**
 * Calls a judge model (the worker supplies it, with the judge model's own limits,
 * retries and timeout). Throws when the call fails for good; the assertion is then
 * undecided and the prediction ungraded, with the error kept.
 */
export type JudgeCall = (request: { model_id: number; prompt: string }) => Promise<JudgeAnswer>;

/**
 * Grades one successful prediction with assertions that need no model call, without
 * awaiting anything (regrades run this over many thousands of stored predictions).
 */
export function gradeLocally(compiled: CompiledAssertions, subject: GradingSubject): Verdict {
  if (compiled.needsJudge) throw new Error('these assertions need a judge: use gradePrediction');
  return decideVerdict(
    compiled.checks.map((check) => runLocal(check as LocalCheck, subject)),
    compiled.threshold,
  );
}

/** Grades one successful prediction; judge calls run concurrently through `judge`. */
export async function gradePrediction(
  compiled: CompiledAssertions,
  subject: GradingSubject,
  judge: JudgeCall,
): Promise<Verdict> {
  const results = await Promise.all(
    compiled.checks.map((check) =>
      check.kind === 'local'
        ? Promise.resolve(runLocal(check, subject))
        : runJudge(check, subject, judge),
    ),
  );
  return decideVerdict(results, compiled.threshold);
}

function runLocal(check: LocalCheck, subject: GradingSubject): AssertionResult {
  try {
    return decided(check, check.run(subject));
  } catch (error) {
    return undecided(check, coerceErrorMessage(error));
  }
}

async function runJudge(
  check: JudgeCheck,
  subject: GradingSubject,
  judge: JudgeCall,
): Promise<AssertionResult> {
  const model = { model_id: check.assertion.model_id };
  let answer: JudgeAnswer;
  try {
    answer = await judge({ ...model, prompt: check.prompt(subject) });
  } catch (error) {
    return {
      ...undecided(check, `judge model ${model.model_id} failed: ${coerceErrorMessage(error)}`),
      ...model,
    };
  }
  const cost = {
    ...model,
    prompt_tokens: answer.prompt_tokens,
    completion_tokens: answer.completion_tokens,
    ...(answer.cost_usd === undefined ? {} : { cost_usd: answer.cost_usd }),
  };
  try {
    return { ...decided(check, check.read(answer.text)), ...cost };
  } catch (error) {
    return { ...undecided(check, coerceErrorMessage(error)), ...cost };
  }
}

function decided(check: LocalCheck | JudgeCheck, found: CheckOutcome): AssertionResult {
  const { type, weight, not } = check.assertion;
  return {
    type,
    pass: not ? !found.pass : found.pass,
    score: not ? 1 - found.score : found.score,
    weight,
    ...(not ? { not: true as const } : {}),
    ...(found.reason === undefined ? {} : { reason: found.reason }),
  };
}

function undecided(check: LocalCheck | JudgeCheck, error: string): AssertionResult {
  const { type, weight, not } = check.assertion;
  return { type, pass: null, score: null, weight, ...(not ? { not: true as const } : {}), error };
}
