import { outcome, type CheckOutcome } from '../grading-subject.js';

export function checkLatency(latencySeconds: number, limitSeconds: number): CheckOutcome {
  return latencySeconds <= limitSeconds
    ? outcome(true)
    : outcome(false, `took ${latencySeconds.toFixed(3)} s > ${limitSeconds} s`);
}
