/** The message of whatever was thrown, for a grading's `error`. */
export function coerceErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
