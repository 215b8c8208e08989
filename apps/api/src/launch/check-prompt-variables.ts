import type { Kysely } from 'kysely';
import { ValidationError, type FieldProblem } from '@evalq/core';
import { countRowsLackingVariables, getPrompts, type Database } from '@evalq/db';
import { ROW_COLUMN_VARIABLES, TemplateSyntaxError } from '@evalq/providers';
import { compileStoredPrompt } from './prompt-variables.js';

interface VariableProblem extends FieldProblem {
  prompt_id: number;
  variable?: string;
  rows_lacking?: number;
}

const isRowColumn = (name: string) => (ROW_COLUMN_VARIABLES as readonly string[]).includes(name);

/**
 * Before a launch writes anything: every prompt must parse, and every variable its
 * templates use must be present in every row of the dataset. The rows are counted in
 * one query over the dataset (countRowsLackingVariables), whatever the number of
 * prompts and variables. A variable no row has is unknown (a typo such as
 * {{contnet}}); one that some rows lack is named with how many. A 400 names the
 * prompt's place in `prompt_ids`. Prompts that do not exist are left to the launch (404).
 */
export async function checkPromptVariables(
  db: Kysely<Database>,
  datasetId: number,
  promptIds: readonly number[],
): Promise<void> {
  const prompts = new Map((await getPrompts(db, promptIds)).map((p) => [p.prompt_id, p]));
  const problems: VariableProblem[] = [];
  const uses: { index: number; promptId: number; variables: readonly string[] }[] = [];
  promptIds.forEach((promptId, index) => {
    const prompt = prompts.get(promptId);
    if (!prompt) return;
    try {
      uses.push({ index, promptId, variables: compileStoredPrompt(prompt).variables });
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      problems.push({
        path: `body.prompt_ids.${index}`,
        prompt_id: promptId,
        message: `prompt ${promptId} cannot be rendered: ${error.message}; create a corrected version`,
      });
    }
  });

  const inputVariables = [
    ...new Set(uses.flatMap((use) => use.variables.filter((v) => !isRowColumn(v)))),
  ];
  if (inputVariables.length > 0) {
    const coverage = await countRowsLackingVariables(db, datasetId, inputVariables);
    for (const use of uses) {
      for (const variable of use.variables) {
        const lacking = coverage.lacking.get(variable) ?? 0;
        if (lacking === 0) continue;
        problems.push({
          path: `body.prompt_ids.${use.index}`,
          prompt_id: use.promptId,
          variable,
          rows_lacking: lacking,
          message:
            lacking === coverage.rows
              ? `prompt ${use.promptId} uses {{${variable}}}, an unknown variable: none of the ${coverage.rows} rows of dataset ${datasetId} has it (a template can use {{content}}, {{expected}} and the rows' input keys)`
              : `prompt ${use.promptId} uses {{${variable}}}, which ${lacking} of the ${coverage.rows} rows of dataset ${datasetId} lack`,
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
