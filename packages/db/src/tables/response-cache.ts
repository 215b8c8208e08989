import type { Generated } from 'kysely';

/** `response_cache`: successful answers shared by every worker, by request key (docs/cost.md). */
export interface ResponseCacheTable {
  /** SHA-256 of the request (packages/providers/src/cache-key.ts). */
  cache_key: Buffer;
  /** The model that stored it; null once that model is deleted. */
  model_id: number | null;
  prediction: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Generated<Date>;
}
