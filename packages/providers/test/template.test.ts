import { describe, expect, it } from 'vitest';
import {
  compilePrompt,
  lookupVariable,
  MissingVariableError,
  parseTemplate,
  templateVariables,
  TemplateSyntaxError,
  type RowVariables,
} from '@evalq/providers';

const row: RowVariables = {
  content: 'Is 7 prime?',
  expected: 'yes',
  input: {
    question: 'Is 7 prime?',
    lang: 'en',
    meta: { source: 'quiz', level: 3, tags: ['math', 'primes'], note: null },
  },
};

const variablesOf = (template: string) => templateVariables(parseTemplate(template));
const text = (template: string, vars: RowVariables = row) =>
  compilePrompt({ type: 'text', text: template, messages: null }).render(vars).formatted;

describe('template syntax', () => {
  it('lists the variables a template uses, once each, in order of first use', () => {
    expect(variablesOf('{{question}} ({{ lang }}) {{meta.source}} {{question}}')).toEqual([
      'question',
      'lang',
      'meta.source',
    ]);
    expect(variablesOf('no placeholder here')).toEqual([]);
  });

  it('allows spaces inside the braces', () => {
    expect(text('Q: {{ content }} / {{   expected}}')).toBe('Q: Is 7 prime? / yes');
  });

  it('reads the last two of three braces as the placeholder, so JSON around it stays literal', () => {
    expect(text('{"q": {{{lang}}}}')).toBe('{"q": {en}}');
    expect(text('a }} b {{lang}}')).toBe('a }} b en');
  });

  it.each([
    ['Q: {{content', 'unclosed {{ at line 1, column 4'],
    ['line one\nthen {{content}} and {{ lang', 'unclosed {{ at line 2, column 22'],
    ['empty {{ }}', 'empty {{}} at line 1, column 7'],
    ['{{two words}}', '{{two words}} at line 1, column 1 is not a variable name'],
    ['{{a..b}}', '{{a..b}} at line 1, column 1 is not a variable name'],
    ['{{.a}}', 'is not a variable name'],
  ])('rejects %j, saying where', (template, message) => {
    let thrown: unknown;
    try {
      parseTemplate(template, 'text');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateSyntaxError);
    expect((thrown as TemplateSyntaxError).part).toBe('text');
    expect((thrown as Error).message).toContain(message);
  });
});

describe('row variables', () => {
  it('renders content, expected, input keys and dotted paths', () => {
    expect(text('{{content}}|{{expected}}|{{lang}}|{{meta.source}}|{{meta.tags.1}}')).toBe(
      'Is 7 prime?|yes|en|quiz|primes',
    );
  });

  it('renders numbers and objects as JSON text and JSON null as nothing', () => {
    expect(text('{{meta.level}} {{meta.tags}} [{{meta.note}}]')).toBe('3 ["math","primes"] []');
  });

  it('tells a missing variable, at any depth, from an empty one', () => {
    expect(lookupVariable(row, 'meta.note', ['meta', 'note'])).toBe('');
    expect(lookupVariable(row, 'meta.missing', ['meta', 'missing'])).toBeUndefined();
    expect(lookupVariable(row, 'lang.x', ['lang', 'x'])).toBeUndefined();
    expect(lookupVariable(row, 'toString', ['toString'])).toBeUndefined();
    expect(() => text('{{contnet}}')).toThrow(MissingVariableError);
    expect(() => text('{{contnet}}')).toThrow(/\{\{contnet\}\}/);
  });

  it('inserts values literally: no second expansion, no $-patterns', () => {
    const tricky: RowVariables = { content: '{{expected}} $& $1', expected: 'x', input: {} };
    expect(text('<{{content}}>', tricky)).toBe('<{{expected}} $& $1>');
  });

  it('appends the content after a blank line to a template without any placeholder', () => {
    expect(text('Classify the sentiment.\n')).toBe('Classify the sentiment.\n\nIs 7 prime?');
    expect(text('')).toBe('Is 7 prime?');
  });
});

describe('chat prompts', () => {
  const chat = (messages: { role: 'system' | 'user' | 'assistant'; content: string }[]) =>
    compilePrompt({ type: 'chat', text: '', messages });

  it('renders every message and keeps the rendered messages as JSON', () => {
    const prompt = chat([
      { role: 'system', content: 'Answer in {{lang}}.' },
      { role: 'user', content: '{{question}}' },
    ]);
    expect(prompt.variables).toEqual(['lang', 'question']);
    const rendered = prompt.render(row);
    const expected = [
      { role: 'system', content: 'Answer in en.' },
      { role: 'user', content: 'Is 7 prime?' },
    ];
    expect(rendered.messages).toEqual(expected);
    expect(JSON.parse(rendered.formatted)).toEqual(expected);
  });

  it('appends the content to the last user message when no message has a placeholder', () => {
    const rendered = chat([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Classify:' },
      { role: 'assistant', content: 'Ready.' },
    ]).render(row);
    expect(rendered.messages.map((m) => m.content)).toEqual([
      'Be brief.',
      'Classify:\n\nIs 7 prime?',
      'Ready.',
    ]);
    expect(chat([{ role: 'system', content: 'Be brief.' }]).render(row).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Is 7 prime?' },
    ]);
  });

  it('names the message whose template is broken', () => {
    expect(() =>
      chat([
        { role: 'system', content: 'fine' },
        { role: 'user', content: 'broken {{content' },
      ]),
    ).toThrow(expect.objectContaining({ part: 'messages.1.content' }));
  });
});
