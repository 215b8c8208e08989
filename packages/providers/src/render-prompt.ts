/** `{{content}}`, with optional spaces inside the braces. */
const PLACEHOLDER = /\{\{\s*content\s*\}\}/g;

/**
 * The exact text sent to the model for one row (docs/providers.md, "Prompts"): every `{{content}}` in the
 * template is replaced by the row's content; a template without the placeholder gets
 * the content appended after a blank line. The content is inserted literally (no `$&`
 * expansion, no escaping).
 */
export function renderPrompt(template: string, content: string): string {
  PLACEHOLDER.lastIndex = 0;
  if (!PLACEHOLDER.test(template)) {
    return template.length === 0 ? content : `${template.replace(/\s+$/, '')}\n\n${content}`;
  }
  return template.replace(PLACEHOLDER, () => content);
}
