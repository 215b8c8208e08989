import { appendContent } from './prompt/compile-prompt.js';
import { parseTemplate } from './template/parse-template.js';

/**
 * A text template rendered with only the row's content known: `{{content}}` (spaces
 * inside the braces allowed) is replaced, other placeholders are left as written, and a
 * template without any placeholder gets the content after a blank line. For callers
 * that have no row variables; compilePrompt renders a whole row.
 */
export function renderPrompt(template: string, content: string): string {
  let parts;
  try {
    parts = parseTemplate(template);
  } catch {
    return appendContent(template, content);
  }
  if (parts.every((part) => 'text' in part)) return appendContent(template, content);
  return parts
    .map((part) => {
      if ('text' in part) return part.text;
      return part.variable === 'content' ? content : `{{${part.variable}}}`;
    })
    .join('');
}
