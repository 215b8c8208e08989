import type { ValidateFunction } from 'ajv';
import { outcome, type CheckOutcome } from '../grading-subject.js';
import { describeSchemaErrors } from '../json-schema.js';

/**
 * The text is-json parses: the body of the output's one fenced code block (```, with
 * or without a language tag) when it has exactly one, else the whole output. Found
 * line by line, in one pass: no pattern to backtrack on.
 */
export function jsonCandidate(output: string): string {
  const lines = output.split('\n');
  let blocks = 0;
  let body: string[] = [];
  let open: string[] | undefined;
  for (const line of lines) {
    const fence = line.trim().startsWith('```');
    if (open === undefined) {
      if (fence) open = [];
    } else if (fence && line.trim() === '```') {
      blocks += 1;
      body = open;
      open = undefined;
    } else {
      open.push(line);
    }
  }
  return blocks === 1 ? body.join('\n') : output;
}

export function checkJson(output: string, validate: ValidateFunction | undefined): CheckOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonCandidate(output));
  } catch (error) {
    return outcome(false, `not JSON: ${(error as Error).message}`);
  }
  if (validate && !validate(parsed)) {
    return outcome(false, `does not match the schema: ${describeSchemaErrors(validate)}`);
  }
  return outcome(true);
}
