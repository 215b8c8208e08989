import { sql, type Kysely } from 'kysely';
import type { JobKey } from '@evalq/core';
import type { Database } from '../database.js';
import type { JobStatus } from '../tables/jobs.js';
import type { PromptType, StoredChatMessage } from '../tables/prompts.js';

/** What the worker reads about jobs, models and prompts (never the rows; claims do that). */

export interface RunnableJob extends JobKey {
  status: JobStatus;
}

/**
 * Jobs with work that may be left (neither done nor paused), oldest first: the worker's
 * reconcile with PostgreSQL, which finds jobs whose queue message never came or was
 * lost with Redis. Uses the partial index modelpromptstatus_runnable_idx.
 */
export async function listRunnableJobs(
  db: Kysely<Database>,
  limit = 10_000,
): Promise<RunnableJob[]> {
  const result = await sql<RunnableJob>`
    SELECT model_id, prompt_id, dataset_id, status
      FROM modelpromptstatus
     WHERE status <> 'done' AND status <> 'paused'
     ORDER BY created_at, model_id, prompt_id, dataset_id
     LIMIT ${limit}`.execute(db);
  return result.rows;
}

/** How a job grades its predictions, as stored (packages/grading compiles it). */
export interface JobGrading extends JobKey {
  assertions: unknown;
  threshold: number | null;
  grading_version: number;
  /** Reads and writes the response cache (docs/cost.md); false when absent. */
  cache?: boolean;
}

export async function loadJobGradings(
  db: Kysely<Database>,
  jobs: readonly JobKey[],
): Promise<JobGrading[]> {
  if (jobs.length === 0) return [];
  const result = await sql<JobGrading>`
    SELECT j.model_id, j.prompt_id, j.dataset_id, j.assertions, j.threshold, j.grading_version, j.cache
      FROM modelpromptstatus j
      JOIN unnest(${jobs.map((j) => j.model_id)}::int[], ${jobs.map((j) => j.prompt_id)}::int[],
                  ${jobs.map((j) => j.dataset_id)}::int[]) AS k(model_id, prompt_id, dataset_id)
        ON j.model_id = k.model_id AND j.prompt_id = k.prompt_id AND j.dataset_id = k.dataset_id`.execute(
    db,
  );
  return result.rows;
}

export interface ModelForWorker {
  model_id: number;
  name: string;
  source: string;
  library: string;
  config: unknown;
}

export async function loadModels(
  db: Kysely<Database>,
  modelIds: readonly number[],
): Promise<ModelForWorker[]> {
  if (modelIds.length === 0) return [];
  const result = await sql<ModelForWorker>`
    SELECT model_id, name, source, library, config
      FROM models WHERE model_id = ANY(${[...modelIds]}::int[])`.execute(db);
  return result.rows;
}

export interface PromptForWorker {
  prompt_id: number;
  type: PromptType;
  text: string;
  messages: StoredChatMessage[] | null;
  model_defaults: unknown;
}

export async function loadPrompts(
  db: Kysely<Database>,
  promptIds: readonly number[],
): Promise<PromptForWorker[]> {
  if (promptIds.length === 0) return [];
  const result = await sql<PromptForWorker>`
    SELECT prompt_id, type, text, messages, model_defaults
      FROM prompts WHERE prompt_id = ANY(${[...promptIds]}::int[])`.execute(db);
  return result.rows;
}
