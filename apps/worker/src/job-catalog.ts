import type { Kysely } from 'kysely';
import { coerceError, formatJobKey, SECOND, type JobKey, type Logger } from '@evalq/core';
import {
  loadJobGradings,
  loadModels,
  loadPrompts,
  type Database,
  type ModelForWorker,
} from '@evalq/db';
import {
  callSettings,
  createBatchClient,
  createModelClient,
  modelPrices,
  parseModelConfig,
  requestIdentity,
  type BatchClient,
  type CallSettings,
  type Environment,
  type ModelClient,
  type ModelPrices,
  type RequestIdentity,
} from '@evalq/providers';
import { compileJobGrading, type JobGrading } from './job-grading.js';
import type { ModelLimits } from './limits/call-limits.js';
import { buildPromptContext, type PromptContext } from './prompt-context.js';

/** A model as the worker runs it: its client, call settings and shared limits. */
export interface ModelContext {
  readonly modelId: number;
  readonly name: string;
  /** Undefined when the model cannot be called; `problem` says why, and its rows fail. */
  readonly client: ModelClient | undefined;
  readonly problem: string | undefined;
  /** Its Batch API, when its rows go through batches (docs/batch.md). */
  readonly batch: BatchClient | undefined;
  readonly settings: CallSettings;
  readonly limits: ModelLimits;
  readonly fingerprint: string;
  /** Its prices (docs/cost.md); undefined when its config sets none: its calls cost null. */
  readonly prices: ModelPrices | undefined;
  /** Who answers its requests: the response cache's key besides the messages. */
  readonly identity: RequestIdentity | undefined;
}

export interface JobContext {
  model: ModelContext;
  prompt: PromptContext;
  /** The job's assertions, compiled (job-grading.ts). */
  grading: JobGrading;
  /** The job reads and writes the response cache (docs/cost.md). */
  cache: boolean;
}

export interface JobCatalogOptions {
  env: Environment;
  ollamaHost: string | undefined;
}

/**
 * The models, prompts and assertions (both compiled) of the jobs this worker runs, read
 * from PostgreSQL and kept. Models are re-read at every reconcile, so a changed config
 * (PATCH /v1/models) takes effect within seconds; a model's client is rebuilt only when
 * its definition changed. Prompts are immutable; assertions are compiled again when a
 * regrade changes their version.
 */
export class JobCatalog {
  readonly #db: Kysely<Database>;
  readonly #options: JobCatalogOptions;
  readonly #log: Logger;
  readonly #models = new Map<number, ModelContext>();
  readonly #prompts = new Map<number, PromptContext>();
  readonly #gradings = new Map<string, JobGrading>();
  /** Models to read again before their next use (a hint came: a launch or a resume). */
  readonly #stale = new Set<number>();
  /** Jobs launched with the response cache, as of the last read of their gradings. */
  readonly #cacheJobs = new Set<string>();

  constructor(db: Kysely<Database>, options: JobCatalogOptions, log: Logger) {
    this.#db = db;
    this.#options = options;
    this.#log = log;
  }

  /** The job's model, prompt and grading when all are loaded. */
  cached(job: JobKey): JobContext | undefined {
    const model = this.#models.get(job.model_id);
    const prompt = this.#prompts.get(job.prompt_id);
    const id = formatJobKey(job);
    const grading = this.#gradings.get(id);
    return model && prompt && grading
      ? { model, prompt, grading, cache: this.#cacheJobs.has(id) }
      : undefined;
  }

  /** The job's model, prompt and grading, loading what is missing; undefined if one no longer exists. */
  async ensure(job: JobKey): Promise<JobContext | undefined> {
    if (this.#stale.delete(job.model_id)) await this.refreshModels([job.model_id]);
    const cached = this.cached(job);
    if (cached) return cached;
    // One after the other, on one connection: in parallel they would each need a
    // connection of the pool, and opening one costs more than the queries (measured).
    if (!this.#models.has(job.model_id)) await this.refreshModels([job.model_id]);
    if (!this.#prompts.has(job.prompt_id)) await this.loadPrompts([job.prompt_id]);
    if (!this.#gradings.has(formatJobKey(job))) await this.refreshGradings([job]);
    return this.cached(job);
  }

  /**
   * Reads the model again before its next use: a job of it was launched or resumed,
   * perhaps after its config was fixed (PATCH /v1/models), and paused jobs are not
   * re-read by the reconcile. A model whose definition is unchanged keeps its client.
   */
  markStale(modelId: number): void {
    this.#stale.add(modelId);
  }

  /** A model by id (a judge), loading it when missing; undefined if it does not exist. */
  async model(modelId: number): Promise<ModelContext | undefined> {
    if (!this.#models.has(modelId)) await this.refreshModels([modelId]);
    return this.#models.get(modelId);
  }

  /** Re-reads these models and the jobs' gradings (and loads missing prompts of these jobs). */
  async refresh(jobs: readonly JobKey[]): Promise<void> {
    await this.refreshGradings(jobs);
    const judges = jobs.flatMap(
      (job) => this.#gradings.get(formatJobKey(job))?.judgeModelIds ?? [],
    );
    await this.refreshModels([...new Set([...jobs.map((job) => job.model_id), ...judges])]);
    const missing = [...new Set(jobs.map((job) => job.prompt_id))].filter(
      (id) => !this.#prompts.has(id),
    );
    await this.loadPrompts(missing);
  }

  /**
   * Re-reads the jobs' assertions. A list is compiled again only when its version
   * changed (a regrade), so a reconcile costs one small query.
   */
  async refreshGradings(jobs: readonly JobKey[]): Promise<void> {
    for (const stored of await loadJobGradings(this.#db, jobs)) {
      const id = formatJobKey(stored);
      if (stored.cache === true) this.#cacheJobs.add(id);
      else this.#cacheJobs.delete(id);
      if (this.#gradings.get(id)?.version === stored.grading_version) continue;
      const grading = compileJobGrading(stored);
      if (grading.problem)
        this.#log.error({ job: id, problem: grading.problem }, 'job cannot be graded');
      this.#gradings.set(id, grading);
    }
  }

  async refreshModels(modelIds: readonly number[]): Promise<void> {
    if (modelIds.length === 0) return;
    for (const model of await loadModels(this.#db, modelIds)) {
      const fingerprint = JSON.stringify([model.name, model.source, model.library, model.config]);
      if (this.#models.get(model.model_id)?.fingerprint === fingerprint) continue;
      const context = this.#build(model, fingerprint);
      if (context.problem) {
        this.#log.error(
          { model_id: model.model_id, problem: context.problem },
          'model cannot be called: its rows will be stored as failed until it is fixed',
        );
      }
      this.#models.set(model.model_id, context);
    }
  }

  async loadPrompts(promptIds: readonly number[]): Promise<void> {
    if (promptIds.length === 0) return;
    // Prompts are immutable: compiled once, kept for as long as the worker runs.
    for (const prompt of await loadPrompts(this.#db, promptIds)) {
      const context = buildPromptContext(prompt);
      if (context.problem) {
        this.#log.error(
          { prompt_id: prompt.prompt_id, problem: context.problem },
          'prompt cannot be rendered: its rows will be stored as failed',
        );
      }
      this.#prompts.set(prompt.prompt_id, context);
    }
  }

  #build(model: ModelForWorker, fingerprint: string): ModelContext {
    let settings = callSettings({});
    let client: ModelClient | undefined;
    let batch: BatchClient | undefined;
    let problem: string | undefined;
    let prices: ModelPrices | undefined;
    let identity: RequestIdentity | undefined;
    try {
      const config = parseModelConfig(model.config);
      settings = callSettings(config);
      prices = modelPrices(config);
      client = createModelClient(model, this.#options);
      identity = requestIdentity(model, this.#options);
      batch = createBatchClient(model, this.#options);
    } catch (error) {
      problem = coerceError(error).message;
    }
    return {
      modelId: model.model_id,
      name: model.name,
      client,
      problem,
      batch,
      settings,
      limits: {
        maxConcurrency: settings.maxConcurrency,
        requestsPerMinute: settings.requestsPerMinute,
        permitTtlMs: settings.timeoutMs + 30 * SECOND,
      },
      fingerprint,
      prices,
      identity,
    };
  }
}
