import { outcome, quote, type CheckOutcome } from '../grading-subject.js';

/** The first number in a text, as the number assertion reads it. */
const FIRST_NUMBER = /-?[0-9]+(\.[0-9]+)?/;
const WHOLE_NUMBER = /^\s*-?[0-9]+(\.[0-9]+)?\s*$/;

export function checkNumber(
  output: string,
  value: number | string,
  tolerance: number,
): CheckOutcome {
  const expected =
    typeof value === 'number' ? value : WHOLE_NUMBER.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(expected)) {
    return outcome(false, `the expected value ${quote(String(value))} is not a number`);
  }
  const found = FIRST_NUMBER.exec(output);
  if (!found) return outcome(false, 'no number in the output');
  const actual = Number(found[0]);
  // A hair of slack for decimal rounding (0.1 + 0.2 is not 0.3 in binary).
  const pass = Math.abs(actual - expected) <= tolerance + 1e-9 * Math.max(1, Math.abs(expected));
  return pass
    ? outcome(true)
    : outcome(
        false,
        `found ${found[0]}, expected ${expected}${tolerance > 0 ? ` ± ${tolerance}` : ''}`,
      );
}
