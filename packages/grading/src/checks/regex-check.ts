import { outcome, quote, type CheckOutcome } from '../grading-subject.js';
import type { SafeRegex } from '../safe-regex.js';

export function checkRegex(output: string, regex: SafeRegex, pattern: string): CheckOutcome {
  return regex.test(output) ? outcome(true) : outcome(false, `does not match ${quote(pattern)}`);
}
