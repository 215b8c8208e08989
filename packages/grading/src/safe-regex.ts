import { RE2JS } from 're2js';

/**
 * Regular expressions run by a linear-time engine (RE2's, ported to JavaScript): an
 * output of any length and content is matched in time proportional to its length,
 * so no model output can stall a worker on a pattern. RE2 has no backreferences or
 * lookaround; a pattern using them is refused when it is compiled (at launch).
 */
export interface SafeRegex {
  test(text: string): boolean;
}

/** The flags `regex` accepts: i (ignore case), m (^ and $ at line ends), s (. matches newlines). */
export const REGEX_FLAGS = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };

/** Compiles `pattern`, or throws an Error whose message says what is wrong with it. */
export function compileSafeRegex(pattern: string, flags = ''): SafeRegex {
  let mask = 0;
  for (const flag of flags) {
    const bit = REGEX_FLAGS[flag as keyof typeof REGEX_FLAGS];
    if (bit === undefined) throw new Error(`unknown flag "${flag}": use i, m and s`);
    mask |= bit;
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, mask);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${message.replace(/^error parsing regexp: /, '')} (RE2 syntax, no lookaround or backreferences)`,
    );
  }
  return { test: (text) => compiled.matcher(text).find() };
}
