import { assertionListSchema } from './assertion-schema.js';

/**
 * Whether two grading setups grade alike: the lists compared after parsing (defaults
 * filled in) with object keys in a fixed order, and the thresholds.
 */
export function sameAssertions(
  a: { assertions: unknown; threshold: number | null },
  b: { assertions: unknown; threshold: number | null },
): boolean {
  return (
    a.threshold === b.threshold &&
    canonical(assertionListSchema.parse(a.assertions)) ===
      canonical(assertionListSchema.parse(b.assertions))
  );
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
