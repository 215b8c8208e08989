/**
 * A candidate's pass rate from its counters: passed ÷ graded successful predictions
 * (succeeded − ungraded); null while none is graded. Not rounded (docs/grading.md). The
 * counters come from the triggers, which count `passed` only for successes; the cap at
 * 1 keeps a hand-edited row from reporting more than 100 %.
 */
export function passRate(passed: number, succeeded: number, ungraded: number): number | null {
  const graded = succeeded - Math.min(Math.max(ungraded, 0), succeeded);
  return graded > 0 ? Math.min(Math.max(passed, 0) / graded, 1) : null;
}
