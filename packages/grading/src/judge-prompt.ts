import type { GradingSubject } from './grading-subject.js';

/** `{{name}}` or `{{ a.b.c }}`: a rubric placeholder. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

/**
 * The rubric with {{output}}, {{expected}}, {{content}} and the row's variables (dotted
 * paths reach nested keys; objects are inserted as JSON) filled in. A placeholder that
 * names nothing is left as written, so the judge, and whoever reads the grading, sees it.
 */
export function renderRubric(rubric: string, subject: GradingSubject, expected: string): string {
  return rubric.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'output') return subject.output;
    if (name === 'expected') return expected;
    if (name === 'content') return subject.content;
    let value: unknown = subject.variables;
    for (const key of name.split('.')) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return whole;
      value = (value as Record<string, unknown>)[key];
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * The text sent to the judge: the rendered rubric, then how to answer, so that the
 * reply can be read (docs/grading.md shows both forms).
 */
export function judgePrompt(
  rubric: string,
  subject: GradingSubject,
  expected: string,
  labels: readonly string[] | undefined,
): string {
  const instructions = labels
    ? `Answer with exactly one of these labels and nothing else: ${labels.join(', ')}`
    : 'Answer with a JSON object and nothing else: {"pass": true or false, "score": a number from 0 to 1, "reason": "one sentence"}';
  return `${renderRubric(rubric, subject, expected).trimEnd()}\n\n${instructions}`;
}
