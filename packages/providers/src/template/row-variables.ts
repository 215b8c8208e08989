/** What a template can refer to in one row. */
export interface RowVariables {
  /** `{{content}}` */
  content: string;
  /** `{{expected}}`: the row's expected_prediction. */
  expected: string;
  /** Every other name is a (dotted) path into the row's input object. */
  input: Readonly<Record<string, unknown>>;
}

/** The names that are the row's own columns rather than input keys. */
export const ROW_COLUMN_VARIABLES = ['content', 'expected'] as const;

/** Whether some of these variables are input keys (a claim then fetches each row's input). */
export function usesInputVariables(variables: readonly string[]): boolean {
  return variables.some((name) => !(ROW_COLUMN_VARIABLES as readonly string[]).includes(name));
}

/**
 * A variable's value as text, or undefined when the row lacks it. A path steps through
 * objects by key and arrays by index, as PostgreSQL's `#>` does (the launch check counts
 * missing variables with it, see packages/db/src/queries/row-variables.ts). Strings are
 * used as they are, JSON null is empty, other values are their JSON text.
 */
export function lookupVariable(
  row: RowVariables,
  name: string,
  path: readonly string[],
): string | undefined {
  if (name === 'content') return row.content;
  if (name === 'expected') return row.expected;
  let value: unknown = row.input;
  for (const segment of path) {
    if (Array.isArray(value) && /^[+-]?\d+$/.test(segment)) {
      const index = Number(segment);
      value = value[index < 0 ? value.length + index : index];
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      value = Object.hasOwn(value, segment)
        ? (value as Record<string, unknown>)[segment]
        : undefined;
    } else {
      return undefined;
    }
    if (value === undefined) return undefined;
  }
  if (typeof value === 'string') return value;
  if (value === null) return '';
  return JSON.stringify(value);
}
