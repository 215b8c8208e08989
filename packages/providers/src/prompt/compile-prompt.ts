import { parseTemplate, templateVariables, type TemplatePart } from '../template/parse-template.js';
import { lookupVariable, type RowVariables } from '../template/row-variables.js';
import { MissingVariableError } from '../template/template-error.js';
import type { ChatMessage, PromptTemplate, PromptType } from './chat-message.js';

/** A prompt rendered for one row: what is sent, and what predictions.formatted_prompt keeps. */
export interface RenderedPrompt {
  messages: ChatMessage[];
  /** The text of a text prompt; the rendered messages as JSON for a chat prompt. */
  formatted: string;
}

/** A prompt parsed once, ready to render any number of rows. */
export interface CompiledPrompt {
  readonly type: PromptType;
  /** The distinct variables its templates use, in order of first use. */
  readonly variables: readonly string[];
  render(row: RowVariables): RenderedPrompt;
}

interface CompiledMessage {
  role: ChatMessage['role'];
  parts: TemplatePart[];
}

function fill(parts: readonly TemplatePart[], row: RowVariables): string {
  let out = '';
  for (const part of parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const value = lookupVariable(row, part.variable, part.path);
    if (value === undefined) throw new MissingVariableError(part.variable);
    out += value;
  }
  return out;
}

/** The rule for a template without placeholders: the content after a blank line. */
export function appendContent(template: string, content: string): string {
  return template.length === 0 ? content : `${template.replace(/\s+$/, '')}\n\n${content}`;
}

/**
 * Parses a prompt's templates (throwing TemplateSyntaxError naming the bad part, e.g.
 * `messages.1.content`) and returns its renderer. A prompt that uses no variable at all
 * gets the row's content appended after a blank line: to its text, or to its last user
 * message (a chat prompt without one gets a user message holding the content).
 */
export function compilePrompt(prompt: PromptTemplate): CompiledPrompt {
  if (prompt.type === 'text') {
    const parts = parseTemplate(prompt.text, 'text');
    const variables = templateVariables(parts);
    return {
      type: 'text',
      variables,
      render(row) {
        const text =
          variables.length === 0 ? appendContent(prompt.text, row.content) : fill(parts, row);
        return { messages: [{ role: 'user', content: text }], formatted: text };
      },
    };
  }

  const compiled: CompiledMessage[] = (prompt.messages ?? []).map((message, index) => ({
    role: message.role,
    parts: parseTemplate(message.content, `messages.${index}.content`),
  }));
  const variables = [...new Set(compiled.flatMap((message) => templateVariables(message.parts)))];
  const lastUser = compiled.map((message) => message.role).lastIndexOf('user');
  return {
    type: 'chat',
    variables,
    render(row) {
      const messages: ChatMessage[] = compiled.map((message) => ({
        role: message.role,
        content: fill(message.parts, row),
      }));
      if (variables.length === 0) {
        if (lastUser >= 0) {
          const target = messages[lastUser]!;
          target.content = appendContent(target.content, row.content);
        } else {
          messages.push({ role: 'user', content: row.content });
        }
      }
      return { messages, formatted: JSON.stringify(messages) };
    },
  };
}
