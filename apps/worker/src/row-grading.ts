import type { FinishedRow } from '@evalq/db';
import {
  gradeLocally,
  gradePrediction,
  type GradingSubject,
  type JudgeCall,
  type Verdict,
} from '@evalq/grading';
import type { JobGrading } from './job-grading.js';

/** The verdict columns stored with a prediction. */
export type VerdictFields = Pick<FinishedRow, 'passed' | 'score' | 'grading' | 'grading_version'>;

/** A failed call has no verdict; it is counted as failed, never as graded. */
export const NO_VERDICT = { passed: null, score: null, grading: null } as const;

function fields(verdict: Verdict, version: number): VerdictFields {
  return {
    passed: verdict.passed,
    score: verdict.score,
    grading: JSON.stringify(verdict.grading),
    grading_version: version,
  };
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
