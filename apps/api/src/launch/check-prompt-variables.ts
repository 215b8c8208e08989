import type { Kysely } from 'kysely';
import { ValidationError, type FieldProblem } from '@evalq/core';
import { countRowsLackingVariables, getPrompts, type Database } from '@evalq/db';
import { compileRubric, OUTPUT_VARIABLE, type Assertion } from '@evalq/grading';
import { TemplateSyntaxError, usesInputVariables } from '@evalq/providers';
import { compileStoredPrompt } from './prompt-variables.js';

interface VariableProblem extends FieldProblem {
  prompt_id?: number;
  variable?: string;
  rows_lacking?: number;
}

/** A template of the launch (a prompt, or a judge rubric) and the input keys it uses. */
interface TemplateUse {
  path: string;
  /** How messages name it: `prompt 7`, `assertion 2's rubric`. */
  what: string;
  promptId?: number;
  inputVariables: readonly string[];
}

const inputKeys = (variables: readonly string[]) =>
  variables.filter((name) => usesInputVariables([name]));

/**
 * Before a launch writes anything: every prompt must parse, and every input variable its
 * templates, or the rubrics of the launch's llm-judge assertions, use must be present in
 * every row of the dataset. The rows are counted in one query over the dataset
 * (countRowsLackingVariables), whatever the number of templates and variables. A
 * variable no row has is unknown (a typo such as {{contnet}}); one that some rows lack is
 * named with how many. A 400 names the prompt's place in `prompt_ids`, or the assertion's
 * rubric. Prompts that do not exist are left to the launch (404).
 */
export async function checkPromptVariables(
  db: Kysely<Database>,
  datasetId: number,
  promptIds: readonly number[],
  assertions: readonly Assertion[] = [],
): Promise<void> {
  const prompts = new Map((await getPrompts(db, promptIds)).map((p) => [p.prompt_id, p]));
  const problems: VariableProblem[] = [];
  const uses: TemplateUse[] = [];
  promptIds.forEach((promptId, index) => {
    const prompt = prompts.get(promptId);
    if (!prompt) return;
    const path = `body.prompt_ids.${index}`;
    try {
      const variables = compileStoredPrompt(prompt).variables;
      uses.push({
        path,
        what: `prompt ${promptId}`,
        promptId,
        inputVariables: inputKeys(variables),
      });
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      problems.push({
        path,
        prompt_id: promptId,
        message: `prompt ${promptId} cannot be rendered: ${error.message}; create a corrected version`,
      });
    }
  });
  assertions.forEach((assertion, index) => {
    if (assertion.type !== 'llm-judge') return;
    // Validated already: the rubric parses.
    const variables = compileRubric(assertion.rubric).variables;
    uses.push({
      path: `body.assertions.${index}.rubric`,
      what: `assertion ${index}'s rubric`,
      inputVariables: inputKeys(variables.filter((name) => name !== OUTPUT_VARIABLE)),
    });
  });

  const wanted = [...new Set(uses.flatMap((use) => use.inputVariables))];
  if (wanted.length > 0) {
    const coverage = await countRowsLackingVariables(db, datasetId, wanted);
    for (const use of uses) {
      for (const variable of use.inputVariables) {
        const lacking = coverage.lacking.get(variable) ?? 0;
        if (lacking === 0) continue;
        problems.push({
          path: use.path,
          ...(use.promptId === undefined ? {} : { prompt_id: use.promptId }),
          variable,
          rows_lacking: lacking,
          message:
            lacking === coverage.rows
              ? `${use.what} uses {{${variable}}}, an unknown variable: none of the ${coverage.rows} rows of dataset ${datasetId} has it (a template can use {{content}}, {{expected}} and the rows' input keys)`
              : `${use.what} uses {{${variable}}}, which ${lacking} of the ${coverage.rows} rows of dataset ${datasetId} lack`,
        });
      }
    }
  }
  if (problems.length > 0) {
    throw new ValidationError(
      `${problems.map((p) => p.message).join('; ')}; nothing was launched`,
      problems,
    );
  }
}
