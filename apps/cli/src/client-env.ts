import { z } from 'zod';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** What the client commands read from the environment: where the API is and its token. */
export const clientEnv = z.object({
  EVALQ_API_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL, e.g. http://127.0.0.1:3000')
    .default(DEFAULT_API_URL),
  API_TOKEN: z.string().min(1).optional(),
});

export type ClientEnv = z.output<typeof clientEnv>;
