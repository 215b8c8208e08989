import type { FinishedRow } from '@evalq/db';
import {
  gradeLocally,
  gradePrediction,
  type GradingSubject,
  type JudgeCall,
  type Verdict,
} from '@evalq/grading';
import type { JobGrading } from './job-grading.js';

/** The verdict columns stored with a prediction, with what its judge calls cost. */
export type VerdictFields = Pick<
  FinishedRow,
  'passed' | 'score' | 'grading' | 'grading_version' | 'judge_cost_usd' | 'judge_tokens'
>;

/** A failed call has no verdict; it is counted as failed, never as graded. */
export const NO_VERDICT = { passed: null, score: null, grading: null } as const;

function fields(verdict: Verdict, version: number): VerdictFields {
  return {
    passed: verdict.passed,
    score: verdict.score,
    grading: JSON.stringify(verdict.grading),
    grading_version: version,
    ...judgeSpend(verdict),
  };
}

/**
 * What the judge calls of a verdict cost: the sum of their costs (null when none was
 * priced) and tokens (null when no judge was called). Each cost was computed by the one
 * cost rule when the call returned (judge-call.ts).
 */
function judgeSpend(verdict: Verdict): Pick<VerdictFields, 'judge_cost_usd' | 'judge_tokens'> {
  let cost: number | null = null;
  let tokens: number | null = null;
  for (const result of verdict.grading) {
    if (result.model_id === undefined) continue;
    if (result.cost_usd != null) cost = (cost ?? 0) + result.cost_usd;
    if (result.prompt_tokens != null || result.completion_tokens != null) {
      tokens = (tokens ?? 0) + (result.prompt_tokens ?? 0) + (result.completion_tokens ?? 0);
    }
  }
  return { judge_cost_usd: cost, judge_tokens: tokens };
}

function invalid(grading: JobGrading): VerdictFields {
  return {
    passed: null,
    score: null,
    grading: JSON.stringify([
      { type: 'assertions', pass: null, score: null, weight: 1, error: grading.problem },
    ]),
    grading_version: grading.version,
  };
}

/** Grades an output with assertions that need no judge (sync: regrades grade thousands at once). */
export function gradeWithoutJudge(grading: JobGrading, subject: GradingSubject): VerdictFields {
  if (!grading.compiled) return invalid(grading);
  return fields(gradeLocally(grading.compiled, subject), grading.version);
}

/**
 * Grades a successful call's output with the job's assertions (packages/grading decides
 * the verdict); judge models are called through `judge`. A judge that fails leaves the
 * verdict ungraded, never the output lost.
 */
export async function gradeOutput(
  grading: JobGrading,
  subject: GradingSubject,
  judge: JudgeCall,
): Promise<VerdictFields> {
  if (!grading.compiled) return invalid(grading);
  if (!grading.compiled.needsJudge) return gradeWithoutJudge(grading, subject);
  return fields(await gradePrediction(grading.compiled, subject, judge), grading.version);
}
