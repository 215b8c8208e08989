import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** Commander parsers that turn a bad value into a message naming what was expected. */

export function positiveId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  }
  return n;
}

/** An id or a name (resolve-names.ts looks names up). */
export function reference(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected an id or a name');
  return value.trim();
}

/** Ids or names separated by commas, e.g. `1,fake-gpt` or `classify@production,7`. */
export function referenceList(value: string): string[] {
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) {
    throw new InvalidArgumentError('expected ids or names separated by commas, e.g. 1,fake-gpt');
  }
  return parts;
}

export function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`expected a number, got "${value}"`);
  }
  return n;
}

export function integer(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n))
    throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return n;
}

/** `3/7/2` (model/prompt/dataset), as the API and `evalq status` print jobs. */
export function jobKey(value: string): { model_id: number; prompt_id: number; dataset_id: number } {
  const match = /^(\d+)\/(\d+)\/(\d+)$/.exec(value.trim());
  if (!match) {
    throw new InvalidArgumentError(
      `expected a job as model/prompt/dataset, e.g. 3/7/2, got "${value}"`,
    );
  }
  return { model_id: Number(match[1]), prompt_id: Number(match[2]), dataset_id: Number(match[3]) };
}

function parseJson(value: string, expected: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`expected ${expected}: ${(error as Error).message}`);
  }
}

export function jsonObject(value: string): Record<string, unknown> {
  const parsed = parseJson(value, 'a JSON object');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"temperature": 0}\'');
  }
  return parsed as Record<string, unknown>;
}

/**
 * An assertion list (docs/grading.md) as JSON, or `@file` naming a JSON file. Only the
 * JSON is checked here; the API validates the list and names any assertion at fault.
 */
export function assertionList(value: string): unknown[] {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(`cannot read ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(
      `expected a JSON array of assertions: ${(error as Error).message}`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new InvalidArgumentError(
      'expected a JSON array of assertions, e.g. \'[{"type": "contains"}, {"type": "latency", "value": 2}]\'',
    );
  }
  return parsed;
}

export function ratio(value: string): number {
  const n = number(value);
  if (n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a number from 0 to 1, got "${value}"`);
  return n;
}

/**
 * A candidate of a comparison: `<model>/<prompt>`, each an id or a name (`3/7`,
 * `fake-gpt/classify@production`). Split at the last `/`: model names often hold one
 * (`meta-llama/Llama-3`), prompt references do not. resolve-names.ts turns it into ids.
 */
export function candidate(value: string): { model: string; prompt: string } {
  const text = value.trim();
  const slash = text.lastIndexOf('/');
  const model = text.slice(0, slash).trim();
  const prompt = text.slice(slash + 1).trim();
  if (slash < 0 || model === '' || prompt === '') {
    throw new InvalidArgumentError(
      `expected a candidate as model/prompt (ids or names), e.g. 3/7 or fake-gpt/classify@production, got "${value}"`,
    );
  }
  return { model, prompt };
}
