import { outcome, quote, type CheckOutcome } from '../grading-subject.js';
import { normalizeLabel } from '../normalize-label.js';

/** equals: the same text after trimming whitespace, ignoring case. */
export function checkEquals(output: string, value: string): CheckOutcome {
  return normalizeLabel(output) === normalizeLabel(value)
    ? outcome(true)
    : outcome(false, `expected ${quote(value)}, got ${quote(output)}`);
}

export function checkContains(output: string, value: string): CheckOutcome {
  return output.includes(value)
    ? outcome(true)
    : outcome(false, `no ${quote(value)} in the output`);
}

export function checkIcontains(output: string, value: string): CheckOutcome {
  return output.toLowerCase().includes(value.toLowerCase())
    ? outcome(true)
    : outcome(false, `no ${quote(value)} in the output, ignoring case`);
}

export function checkStartsWith(output: string, value: string): CheckOutcome {
  return output.startsWith(value)
    ? outcome(true)
    : outcome(false, `does not start with ${quote(value)}`);
}
