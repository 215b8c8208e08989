import { ValidationError } from '@evalq/core';

/**
 * A template that cannot be parsed (an unclosed `{{`, an empty or malformed name).
 * `part` says which template of a prompt (`text`, `messages.1.content`), so the API can
 * name the field; `offset` is where the problem starts, counted in characters.
 */
export class TemplateSyntaxError extends ValidationError {
  readonly part: string;
  readonly offset: number;

  constructor(part: string, offset: number, problem: string) {
    super(`${part}: ${problem}`, [{ path: part, message: problem }]);
    this.part = part;
    this.offset = offset;
  }
}

/** A row has no value for a variable its prompt uses; rendering that row is impossible. */
export class MissingVariableError extends ValidationError {
  readonly variable: string;

  constructor(variable: string) {
    super(`the row has no variable {{${variable}}} (neither content, expected nor an input key)`, [
      { path: variable, message: 'missing from the row' },
    ]);
    this.variable = variable;
  }
}
