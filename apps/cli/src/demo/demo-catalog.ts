import { ollamaUrl, type DemoEnv } from './demo-env.js';

export type DemoProvider = 'mock' | 'openai' | 'ollama';

/** A model as POST /v1/models takes it. */
export interface ModelSpec {
  name: string;
  source: DemoProvider;
  description: string;
  config: Record<string, unknown>;
}

/** What the demo evaluates for a provider, and how many rows by default. */
export interface DemoCatalog {
  models: ModelSpec[];
  /** Where the models run, for a person. */
  about: string;
  prompts: PromptSpec[];
  defaultRows: number;
}

/** A prompt version as POST /v1/prompts takes it. */
export interface PromptSpec {
  name: string;
  messages: { role: 'system' | 'user'; content: string }[];
  commit_message: string;
  labels?: string[];
}

/** The name both demo prompt versions share: the run compares version 1 with version 2. */
export const DEMO_PROMPT_NAME = 'demo-grader';

/**
 * Two versions of one chat prompt that any model can follow: the labels are the numbers
 * and the words positive, negative and neutral. The second, more explicit version holds
 * the `production` label.
 */
export const DEMO_PROMPTS: PromptSpec[] = [
  {
    name: DEMO_PROMPT_NAME,
    messages: [
      {
        role: 'system',
        content: 'Reply with the answer only (a number, or positive/negative/neutral).',
      },
      { role: 'user', content: '{{content}}' },
    ],
    commit_message: 'first version: terse',
  },
  {
    name: DEMO_PROMPT_NAME,
    messages: [
      {
        role: 'system',
        content:
          'You grade short texts. If the text is an arithmetic question, reply with the result as a ' +
          'number only. Otherwise reply with its sentiment, exactly one word: positive, negative or neutral.',
      },
      { role: 'user', content: 'Text: {{content}}' },
    ],
    commit_message: 'spell out both kinds of rows',
    labels: ['production'],
  },
];

/**
 * How the demo grades: the answer must equal the label (ignoring case and surrounding
 * space) and be one word; equality weighs three times as much, and a row passes at 0.75,
 * so a one-word wrong answer fails.
 */
export const DEMO_ASSERTIONS = [
  { type: 'equals', weight: 3 },
  { type: 'regex', value: '^\\S+$' },
];
export const DEMO_THRESHOLD = 0.75;

/**
 * Mock models answer in a few ms; a shared rate limit (requests_per_minute, enforced
 * across both workers through Redis) makes the run last a few seconds, long enough to
 * watch the progress bars move.
 */
const MOCK_REQUESTS_PER_MINUTE = 9000;

/**
 * Made-up prices (USD per million tokens) so the demo shows what each candidate cost and
 * what a passed row cost (docs/cost.md): a big model at a big model's price, a tiny one
 * at a tiny one's.
 */
export const MOCK_PRICES = {
  'mock-big': { price_in_per_mtok: 2.5, price_out_per_mtok: 10 },
  'mock-tiny': { price_in_per_mtok: 0.15, price_out_per_mtok: 0.6 },
} as const;

export function demoCatalog(provider: DemoProvider, env: DemoEnv): DemoCatalog {
  switch (provider) {
    case 'mock':
      return {
        models: Object.entries(MOCK_PRICES).map(([name, prices]) => ({
          name,
          source: 'mock',
          description: 'built-in deterministic mock model (evalq demo)',
          config: { requests_per_minute: MOCK_REQUESTS_PER_MINUTE, ...prices },
        })),
        about: `built-in mock models, ${MOCK_REQUESTS_PER_MINUTE / 60} calls/s each across the workers`,
        prompts: DEMO_PROMPTS,
        defaultRows: 400,
      };
    case 'openai':
      return {
        models: [
          {
            name: env.EVALQ_DEMO_OPENAI_MODEL,
            source: 'openai',
            description: 'evalq demo',
            config: {
              // The NAME of the variable: the workers read the key at call time.
              api_key_env: 'OPENAI_API_KEY',
              ...(env.OPENAI_BASE_URL === undefined ? {} : { base_url: env.OPENAI_BASE_URL }),
              temperature: 0,
              max_tokens: 16,
            },
          },
        ],
        about: `OpenAI API at ${env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'}`,
        prompts: DEMO_PROMPTS,
        defaultRows: 100,
      };
    case 'ollama':
      return {
        models: [
          {
            name: env.EVALQ_DEMO_OLLAMA_MODEL,
            source: 'ollama',
            description: 'evalq demo',
            // A local model answers a few calls at a time; more would only queue there.
            config: {
              base_url: ollamaUrl(env),
              temperature: 0,
              max_tokens: 16,
              max_concurrency: 4,
            },
          },
        ],
        about: `Ollama at ${ollamaUrl(env)}`,
        prompts: DEMO_PROMPTS,
        defaultRows: 40,
      };
  }
}
