import { setTimeout as sleep } from 'node:timers/promises';
import { callWithDeadline } from '../call-deadline.js';
import type { Completion, CompletionRequest, ModelClient } from '../model-client.js';

/**
 * A built-in model for demos and tests: deterministic, no network. It "solves" the
 * row's content (simple arithmetic such as `17 + 25`, else keyword sentiment:
 * positive / negative / neutral), then errs on a deterministic fraction of rows. That
 * fraction (5–40 %) is derived from the model name and the prompt template, so two mock
 * models, or one mock model under two prompts, reach different accuracies, while the
 * same model × prompt × row always gets the same answer. Each call takes 2–10 ms.
 */
export function createMockClient(options: { model: string }): ModelClient {
  const { model } = options;
  return {
    kind: 'mock',
    model,
    async complete(request: CompletionRequest): Promise<Completion> {
      const sent = request.messages.map((message) => message.content).join('\n\n');
      // The worker sends both; a caller that does not gets an answer to what was sent.
      const content = request.content ?? sent;
      const template = request.template ?? sent;
      const answer = mockAnswer(model, template, content);
      const latencyMs = 2 + (fnv1a(`latency\n${content}`) % 9);
      await callWithDeadline(
        request.timeoutMs,
        request.signal,
        (signal) => sleep(latencyMs, undefined, { signal }),
        () => undefined,
      );
      return {
        text: answer,
        promptTokens: countTokens(sent),
        completionTokens: countTokens(answer),
      };
    },
  };
}

/** The mock's answer for one row under one model and template (exported for tests and the demo). */
export function mockAnswer(model: string, template: string, content: string): string {
  const truth = solve(content);
  const errorRate = 0.05 + 0.35 * unit(fnv1a(`rate\n${model}\n${template}`));
  const draw = unit(fnv1a(`row\n${model}\n${template}\n${content}`));
  return draw < errorRate ? wrongAnswer(truth) : truth;
}

const ARITHMETIC = /(-?\d+(?:\.\d+)?)\s*([+\-*/x×÷])\s*(-?\d+(?:\.\d+)?)/;

const POSITIVE = new Set(
  'good great love loved lovely excellent happy wonderful best amazing awesome fantastic nice enjoy enjoyed like liked perfect brilliant delightful superb pleasant fun recommend beautiful'.split(
    ' ',
  ),
);
const NEGATIVE = new Set(
  'bad terrible hate hated awful worst poor sad boring horrible disappointing disappointed dislike broken waste ugly annoying mediocre refund slow rude angry'.split(
    ' ',
  ),
);

function solve(content: string): string {
  const math = ARITHMETIC.exec(content);
  if (math) {
    const a = Number(math[1]);
    const b = Number(math[3]);
    const op = math[2];
    let value: number;
    if (op === '+') value = a + b;
    else if (op === '-') value = a - b;
    else if (op === '*' || op === 'x' || op === '×') value = a * b;
    else value = b === 0 ? Number.NaN : a / b;
    if (Number.isFinite(value)) return formatNumber(value);
  }
  let score = 0;
  for (const word of content.toLowerCase().match(/[a-z']+/g) ?? []) {
    if (POSITIVE.has(word)) score += 1;
    else if (NEGATIVE.has(word)) score -= 1;
  }
  if (score > 0) return 'positive';
  if (score < 0) return 'negative';
  return 'neutral';
}

function wrongAnswer(truth: string): string {
  if (truth === 'positive') return 'negative';
  if (truth === 'negative') return 'positive';
  if (truth === 'neutral') return 'positive';
  const number = Number(truth);
  return Number.isFinite(number) ? formatNumber(number + 1) : 'unknown';
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 10_000) / 10_000);
}

function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** 32-bit FNV-1a: a stable hash, so the mock answers the same on every machine. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function unit(hash: number): number {
  return hash / 0x1_0000_0000;
}
