/**
 * A job's accuracy from its counters: correct / succeeded, to six decimals; null before
 * any call succeeded. The triggers count a prediction as correct only when it succeeded
 * (docs/triggers.md), so the cap at 1 changes nothing for counters they kept; it keeps
 * a hand-edited row from reporting more than 100 %.
 */
export function accuracy(correct: number, succeeded: number): number | null {
  if (succeeded <= 0) return null;
  return Math.round(Math.min(correct / succeeded, 1) * 1e6) / 1e6;
}
