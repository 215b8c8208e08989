import { describe, expect, it } from 'vitest';
import { compilePrompt, createModelClient, mockAnswer } from '@evalq/providers';
import { user } from './support.js';

const rows = [
  ...Array.from({ length: 150 }, (_, i) => ({
    content: `What is ${i} + ${i * 3}?`,
    expected: String(i + i * 3),
  })),
  ...Array.from({ length: 150 }, (_, i) => ({
    content: i % 2 ? `I loved this, a great product #${i}` : `Terrible, I hate it #${i}`,
    expected: i % 2 ? 'positive' : 'negative',
  })),
];

function accuracy(model: string, template: string): number {
  const correct = rows.filter(
    (row) => mockAnswer(model, template, row.content) === row.expected,
  ).length;
  return correct / rows.length;
}

describe('mock model', () => {
  it('solves arithmetic and keyword sentiment, erring on a deterministic fraction of rows', async () => {
    const client = createModelClient(
      { name: 'mock-1', source: 'mock', library: 'unknown', config: {} },
      { env: {} },
    );
    const template = 'Answer: {{content}}';
    const prompt = compilePrompt({ type: 'text', text: template, messages: null });
    let correct = 0;
    for (const row of rows.slice(0, 40)) {
      const { messages } = prompt.render({
        content: row.content,
        expected: row.expected,
        input: {},
      });
      const request = { messages, content: row.content, template, timeoutMs: 1000 };
      const first = await client.complete(request);
      const again = await client.complete(request);
      expect(again.text).toBe(first.text);
      expect(first.promptTokens).toBeGreaterThan(0);
      if (first.text === row.expected) correct += 1;
    }
    expect(correct).toBeGreaterThan(20);
    expect(correct).toBeLessThan(40);
  });

  it('reaches different accuracies for different models and prompts, each between 55 % and 97 %', () => {
    const scores = [
      accuracy('mock-small', 'Answer: {{content}}'),
      accuracy('mock-large', 'Answer: {{content}}'),
      accuracy('mock-small', 'Think, then answer with one word.\n{{content}}'),
      accuracy('mock-large', 'Think, then answer with one word.\n{{content}}'),
    ];
    expect(new Set(scores.map((s) => s.toFixed(3))).size).toBe(4);
    for (const score of scores) {
      expect(score).toBeGreaterThan(0.55);
      expect(score).toBeLessThan(0.97);
    }
  });

  it('times out like a real model when its deadline is shorter than its latency', async () => {
    const client = createModelClient(
      { name: 'mock-1', source: 'x', library: 'mock', config: {} },
      { env: {} },
    );
    await expect(
      client.complete({ messages: user('What is 1 + 1?'), timeoutMs: 1 }),
    ).rejects.toMatchObject({ kind: 'timeout', retryable: true });
  });

  it("answers chat messages from the row's content under the prompt's template", async () => {
    const client = createModelClient(
      { name: 'mock-1', source: 'mock', library: 'unknown', config: {} },
      { env: {} },
    );
    const template = 'system: Reply with a number.\n\nuser: {{question}}';
    const answer = await client.complete({
      messages: [
        { role: 'system', content: 'Reply with a number.' },
        { role: 'user', content: 'What is 6 * 7?' },
      ],
      content: 'What is 6 * 7?',
      template,
      timeoutMs: 1000,
    });
    expect(answer.text).toBe(mockAnswer('mock-1', template, 'What is 6 * 7?'));
    expect(['42', '43']).toContain(answer.text);
    expect(answer.promptTokens).toBe(9);
  });
});
