/**
 * A label as `equals` compares it: surrounding whitespace trimmed, case ignored. The
 * classification report groups outputs and gold labels with the same function, so a
 * row counts as right there exactly when `equals` passes it.
 */
export function normalizeLabel(text: string): string {
  return text.trim().toLowerCase();
}
