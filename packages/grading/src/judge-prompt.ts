import { lookupVariable, parseTemplate, templateVariables } from '@evalq/providers';
import type { GradingSubject } from './grading-subject.js';

/** The name a rubric can use beside a prompt's (content, expected, input keys): the output judged. */
export const OUTPUT_VARIABLE = 'output';

/** A rubric parsed once: the variables it uses, and how to fill them in for one prediction. */
export interface CompiledRubric {
  /** Every variable it uses, in order of first use. */
  readonly variables: readonly string[];
  render(subject: GradingSubject, expected: string): string;
}

/**
 * Parses a rubric with the template engine every prompt uses
 * (packages/providers/src/template/): {{output}} is the output judged, {{expected}}
 * the gold (`value`, else the row's expected_prediction), {{content}} the row's
 * content, every other name a (dotted) path into the row's input; values are inserted
 * as prompts insert them. A placeholder the row has no value for is left as written,
 * so the judge, and whoever reads the grading, sees it. Throws TemplateSyntaxError
 * (naming `rubric`) when the rubric does not parse.
 */
export function compileRubric(rubric: string): CompiledRubric {
  const parts = parseTemplate(rubric, 'rubric');
  return {
    variables: templateVariables(parts),
    render(subject, expected) {
      const row = { content: subject.content, expected, input: subject.variables ?? {} };
      return parts
        .map((part) => {
          if ('text' in part) return part.text;
          if (part.variable === OUTPUT_VARIABLE) return subject.output;
          return lookupVariable(row, part.variable, part.path) ?? `{{${part.variable}}}`;
        })
        .join('');
    },
  };
}

/** A rubric filled in for one prediction (compileRubric, for a rubric used once). */
export function renderRubric(rubric: string, subject: GradingSubject, expected: string): string {
  return compileRubric(rubric).render(subject, expected);
}

/**
 * The text sent to the judge: the rendered rubric, then how to answer, so that the
 * reply can be read (docs/grading.md shows both forms).
 */
export function judgePrompt(
  rubric: CompiledRubric,
  subject: GradingSubject,
  expected: string,
  labels: readonly string[] | undefined,
): string {
  const instructions = labels
    ? `Answer with exactly one of these labels and nothing else: ${labels.join(', ')}`
    : 'Answer with a JSON object and nothing else: {"pass": true or false, "score": a number from 0 to 1, "reason": "one sentence"}';
  return `${rubric.render(subject, expected).trimEnd()}\n\n${instructions}`;
}
