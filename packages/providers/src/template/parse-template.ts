import { TemplateSyntaxError } from './template-error.js';

/** A piece of a parsed template: literal text, or a variable (a dotted path). */
export type TemplatePart = { text: string } | { variable: string; path: readonly string[] };

/** A variable name segment: anything but whitespace, braces and dots. */
const SEGMENT = /^[^\s{}.]+$/;

/** `line 2, column 7` for an offset into `text`. */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * Parses a template: `{{name}}` or `{{ a.b.c }}` (spaces inside the braces allowed)
 * stands for a variable; everything else is literal. In a run of three or more `{`,
 * the last two open the placeholder (`{{{content}}}` is `{`, a placeholder, `}`), so
 * JSON around a placeholder reads naturally. A `}}` outside a placeholder is literal.
 * An unclosed `{{`, an empty `{{}}` or a name with spaces or braces is an error that
 * says where it is; `part` names the template in that error.
 */
export function parseTemplate(text: string, part = 'template'): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literalFrom = 0;
  let at = text.indexOf('{{');
  while (at >= 0) {
    while (text.charCodeAt(at + 2) === 0x7b) at += 1;
    const close = text.indexOf('}}', at + 2);
    if (close < 0) {
      throw new TemplateSyntaxError(
        part,
        at,
        `unclosed {{ at ${where(text, at)}: close it with }}`,
      );
    }
    const name = text.slice(at + 2, close).trim();
    const path = name.split('.');
    if (name === '') {
      throw new TemplateSyntaxError(
        part,
        at,
        `empty {{}} at ${where(text, at)}: name a variable, e.g. {{content}}`,
      );
    }
    if (!path.every((segment) => SEGMENT.test(segment))) {
      throw new TemplateSyntaxError(
        part,
        at,
        `{{${name}}} at ${where(text, at)} is not a variable name (names have no spaces or braces; dots separate nested keys)`,
      );
    }
    if (at > literalFrom) parts.push({ text: text.slice(literalFrom, at) });
    parts.push({ variable: name, path });
    literalFrom = close + 2;
    at = text.indexOf('{{', literalFrom);
  }
  if (literalFrom < text.length) parts.push({ text: text.slice(literalFrom) });
  return parts;
}

/** The distinct variables a parsed template uses, in order of first use. */
export function templateVariables(parts: readonly TemplatePart[]): string[] {
  const seen = new Set<string>();
  for (const part of parts) if ('variable' in part) seen.add(part.variable);
  return [...seen];
}
