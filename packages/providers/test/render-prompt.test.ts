import { describe, expect, it } from 'vitest';
import { renderPrompt } from '@evalq/providers';

describe('renderPrompt', () => {
  it('replaces every {{content}} with the row content', () => {
    expect(renderPrompt('Q: {{content}}\nAgain: {{ content }}', 'What is 2+2?')).toBe(
      'Q: What is 2+2?\nAgain: What is 2+2?',
    );
  });

  it('appends the content after a blank line when the template has no placeholder', () => {
    expect(renderPrompt('Classify the sentiment.', 'I loved it')).toBe(
      'Classify the sentiment.\n\nI loved it',
    );
    expect(renderPrompt('Classify the sentiment.\n', 'I loved it')).toBe(
      'Classify the sentiment.\n\nI loved it',
    );
    expect(renderPrompt('', 'just the content')).toBe('just the content');
  });

  it('inserts content literally, without $-pattern expansion or escaping', () => {
    expect(renderPrompt('<{{content}}>', '$& $1 $$ {{content}} \\n \'"')).toBe(
      '<$& $1 $$ {{content}} \\n \'">',
    );
  });

  it('leaves other braces alone', () => {
    expect(renderPrompt('{"q": "{{content}}", "x": "{{other}}"}', 'hi')).toBe(
      '{"q": "hi", "x": "{{other}}"}',
    );
  });
});
