import { seededRandom } from '@evalq/core';

/** One labelled row, as POST /v1/datasets/:id/rows takes it. */
export interface LabelledRow {
  content: string;
  expected_prediction: string;
}

const ITEMS = [
  'blender',
  'pair of headphones',
  'backpack',
  'desk lamp',
  'coffee maker',
  'phone case',
  'kettle',
  'keyboard',
  'tent',
  'umbrella',
  'toaster',
  'office chair',
];
const GOOD = ['great', 'excellent', 'wonderful', 'amazing', 'fantastic', 'superb', 'lovely'];
const BAD = ['terrible', 'awful', 'horrible', 'poor', 'mediocre', 'disappointing', 'annoying'];
const POSITIVE = [
  (item: string, word: string) => `The ${item} is ${word}. I would recommend it to anyone.`,
  (item: string, word: string) => `What ${article(word)} ${item}! We love it.`,
  (item: string, word: string) => `Honestly ${article(word)} ${item}, and delivery was fast.`,
];
const NEGATIVE = [
  (item: string, word: string) => `The ${item} is ${word}. I want a refund.`,
  (item: string, word: string) => `Such ${article(word)} ${item}; what a waste of money.`,
  (item: string, word: string) => `Really ${word} ${item}, it broke after a day.`,
];
const NEUTRAL = [
  (item: string) => `The ${item} arrived on Tuesday in a brown box.`,
  (item: string) => `I bought the ${item} last week for the office.`,
  (item: string) => `The ${item} comes in grey and in blue.`,
];
const QUESTIONS = [
  (a: number, op: string, b: number) => `What is ${a} ${op} ${b}?`,
  (a: number, op: string, b: number) => `Compute ${a} ${op} ${b}.`,
  (a: number, op: string, b: number) => `How much is ${a} ${op} ${b}?`,
];

/**
 * A labelled sample for the demo: simple arithmetic questions (gold: the number) and
 * short product reviews (gold: positive, negative or neutral), in a fixed order from a
 * fixed seed, so every run evaluates the same rows. Any model that reads English can
 * answer them; the built-in mock model solves exactly these two kinds.
 */
export function sampleRows(count: number, seed = 2024): LabelledRow[] {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const rows: LabelledRow[] = [];
  for (let i = 0; i < count; i += 1) {
    // Two arithmetic questions, then one review of each sentiment, in turn.
    const kind = i % 5;
    if (kind < 2) rows.push(arithmetic());
    else if (kind === 2) rows.push(review(pick(POSITIVE)(pick(ITEMS), pick(GOOD)), 'positive'));
    else if (kind === 3) rows.push(review(pick(NEGATIVE)(pick(ITEMS), pick(BAD)), 'negative'));
    else rows.push(review(pick(NEUTRAL)(pick(ITEMS)), 'neutral'));
  }
  return rows;

  function arithmetic(): LabelledRow {
    const op = pick(['+', '-', '×', '/']);
    let a = int(2, 99);
    let b = int(2, 99);
    let answer: number;
    if (op === '+') answer = a + b;
    else if (op === '-') answer = a - b;
    else if (op === '×') {
      a = int(2, 19);
      answer = a * b;
    } else {
      // Whole quotients only: a gold label of 3.4285714… would be unfair to any model.
      b = int(2, 12);
      answer = int(2, 20);
      a = answer * b;
    }
    return { content: pick(QUESTIONS)(a, op, b), expected_prediction: String(answer) };
  }

  function review(content: string, label: string): LabelledRow {
    return { content, expected_prediction: label };
  }
}

/** "an amazing", "a great". */
function article(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}
