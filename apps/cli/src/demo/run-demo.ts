import { EvalqError, freePort, NO_REDIS, redisUrlOrNone } from '@evalq/core';
import { migrate, redactUrl } from '@evalq/db';
import { ApiClient } from '../api-client.js';
import type {
  Comparison,
  Dataset,
  LaunchedRun,
  Model,
  Page,
  Prediction,
  Prompt,
  Run,
  ShareResult,
} from '@evalq/api/types';
import { candidateNames, promptLabel, type CandidateNames } from '../candidate-names.js';
import { formatComparison } from '../comparison-table.js';
import { say, warn } from '../output.js';
import { formatRunSummary } from '../run-summary-table.js';
import { count } from '../table.js';
import { watchRun } from '../watch-run.js';
import {
  DEMO_ASSERTIONS,
  DEMO_PROMPT_NAME,
  DEMO_THRESHOLD,
  demoCatalog,
  type DemoCatalog,
  type DemoProvider,
} from './demo-catalog.js';
import type { DemoEnv } from './demo-env.js';
import { DemoServices, ServiceError } from './demo-services.js';
import { describeExit } from './service-process.js';

import { checkProvider } from './provider-check.js';
import { sampleRows } from './sample-dataset.js';
import { checkServices } from './service-check.js';
import { openLocalDatabase, type LocalDatabase } from '../local/local-database.js';

export interface DemoOptions {
  provider: DemoProvider;
  /** Rows of the sample dataset; the provider's default when undefined. */
  rows: number | undefined;
  /** Keep the API and the workers running after the leaderboard, until Ctrl-C. */
  keepRunning: boolean;
}

const WORKERS = 2;

/** Ctrl-C (or SIGTERM) during the demo. */
class DemoInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'DemoInterrupted';
  }
}

/**
 * `evalq demo`: checks PostgreSQL and Redis, migrates, starts the API and two workers
 * as child processes, registers a sample dataset, models and two versions of a chat
 * prompt through the API, launches them as one graded run, shows its progress, prints
 * its summary (pass rates with intervals, paired comparisons), makes a share link and
 * stops the children. Whatever happens (an error, Ctrl-C), every child is stopped before it
 * returns. Returns the exit code.
 */
export async function runDemo(env: DemoEnv, options: DemoOptions): Promise<number> {
  const startedAt = performance.now();
  const interrupt = new AbortController();
  const stopTimeoutMs = (env.SHUTDOWN_GRACE_SECONDS + 10) * 1000;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      warn(`still stopping the API and the workers (at most ${stopTimeoutMs / 1000} s)…`);
      return;
    }
    warn(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping…`);
    interrupt.abort(new DemoInterrupted(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const services = new DemoServices(stopTimeoutMs);
  const interrupted = new Promise<never>((_, reject) =>
    interrupt.signal.addEventListener('abort', () => reject(interrupt.signal.reason as Error)),
  );
  interrupted.catch(() => undefined);
  // Every step gives way at once to Ctrl-C or to a child that dies.
  const guard = <T>(step: Promise<T>): Promise<T> =>
    Promise.race([step, services.unexpectedExit, interrupted]);

  let exitCode = 1;
  let closing: string | undefined;
  const launched: DemoContext['launched'] = {};
  const opened: DemoContext['opened'] = {};
  try {
    ({ exitCode, closing } = await demoSteps({
      env,
      options,
      services,
      guard,
      signal: interrupt.signal,
      launched,
      opened,
    }));
  } catch (error) {
    exitCode = reportFailure(error);
    if (launched.datasetId !== undefined) {
      closing =
        `The unfinished jobs of dataset ${launched.datasetId} stay in the database; ` +
        'workers (npm run worker) finish them when they next run.';
    }
  } finally {
    if (services.started.length > 0) {
      const stopped = await services.stopAll();
      // After a failure or Ctrl-C, a service stopped while it was still starting (killed by
      // SIGTERM before it handles it) is expected; after a good run, anything but exit 0 is not.
      const unclean = stopped.filter(
        (s) => s.killed || (exitCode === 0 && !s.exitedOnItsOwn && s.status.code !== 0),
      );
      for (const { name, status, killed } of unclean) {
        warn(
          killed
            ? `evalq demo: ${name} did not stop after SIGTERM and was killed`
            : `evalq demo: ${name} did not stop cleanly (${describeExit(status)})`,
        );
      }
      if (unclean.length > 0 && exitCode === 0) exitCode = 1;
      else if (unclean.length === 0) {
        say(
          exitCode === 0
            ? `✓ stopped the API and the ${WORKERS} workers`
            : 'Stopped everything the demo had started.',
        );
      }
    }
    if (opened.database?.embedded) {
      await opened.database.close();
      if (exitCode === 0)
        say('✓ stopped the embedded PostgreSQL (its data stays for the next run)');
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (closing) say(closing);
  if (exitCode === 0) say(`Done in ${seconds(startedAt)} s.`);
  return exitCode;
}

interface DemoContext {
  env: DemoEnv;
  options: DemoOptions;
  services: DemoServices;
  guard: <T>(step: Promise<T>) => Promise<T>;
  signal: AbortSignal;
  /** Set once jobs are launched: a stop after that leaves them unfinished. */
  launched: { datasetId?: number };
  /** Set once the database is open: closed after the services stop. */
  opened: { database?: LocalDatabase };
}

/** How the steps ended, and what to print once everything is stopped. */
interface StepsResult {
  exitCode: number;
  closing?: string;
}

async function demoSteps({
  env,
  options,
  services,
  guard,
  signal,
  launched,
  opened,
}: DemoContext): Promise<StepsResult> {
  const catalog = demoCatalog(options.provider, env);
  const rows = options.rows ?? catalog.defaultRows;
  const models = catalog.models.length;
  const prompts = catalog.prompts.length;
  say(
    `evalq demo: ${models} ${options.provider} model${models === 1 ? '' : 's'} × ${prompts} prompt versions ` +
      `over ${count(rows)} labelled rows, with the API and ${WORKERS} workers`,
  );
  offerRealModels(env, options.provider);

  // Unset: queue-less, wake-ups and limits through PostgreSQL (docs/local-mode.md).
  const redisUrl = redisUrlOrNone(env.REDIS_URL);
  const problems = await guard(checkServices(env.DATABASE_URL, redisUrl));
  if (problems.length > 0) {
    for (const problem of problems) warn(`evalq demo: ${problem}`);
    warn('Nothing was started.');
    return { exitCode: 1 };
  }
  const providerProblem = await guard(checkProvider(options.provider, env));
  if (providerProblem) {
    warn(`evalq demo: ${providerProblem}`);
    warn('Nothing was started.');
    return { exitCode: 1 };
  }
  const databaseStartedAt = performance.now();
  const database = await guard(openLocalDatabase(env));
  opened.database = database;
  const queue =
    redisUrl === undefined ? 'queue-less (no Redis)' : `Redis at ${redactUrl(redisUrl)}`;
  say(
    database.embedded
      ? `✓ ${database.description}, started in ${seconds(databaseStartedAt)} s; ${queue}`
      : `✓ PostgreSQL at ${database.description}; ${queue}`,
  );

  const migrated = await guard(migrate({ databaseUrl: database.url }));
  const databaseName = decodeURIComponent(new URL(database.url).pathname.slice(1));
  say(
    `✓ database ${databaseName} ` +
      (migrated.databaseCreated
        ? `created, ${migrated.applied.length} migrations applied`
        : migrated.applied.length > 0
          ? `migrated (${migrated.applied.length} applied)`
          : 'up to date'),
  );

  const startedAt = performance.now();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl ?? NO_REDIS,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    // Kept for a failure report, never shown otherwise: info is enough to tell why.
    LOG_LEVEL: env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? env.LOG_LEVEL : 'info',
  };
  const workerEnv = { ...childEnv, SHUTDOWN_GRACE_SECONDS: String(env.SHUTDOWN_GRACE_SECONDS) };
  const port = await freePort();
  const [apiUrl] = await guard(
    Promise.all([
      services.startApi(childEnv, port, signal),
      ...Array.from({ length: WORKERS }, (_, i) =>
        services.startWorker(workerEnv, `worker ${i + 1}`),
      ),
    ]),
  );
  say(
    `✓ API on ${apiUrl} and ${WORKERS} workers started ` +
      `(${seconds(startedAt)} s${redisUrl === undefined ? '' : `; QUEUE_PREFIX ${env.QUEUE_PREFIX}`})`,
  );

  const client = new ApiClient(apiUrl, env.API_TOKEN);
  const {
    dataset,
    models: registered,
    prompts: templates,
  } = await registerSample(client, catalog, rows, guard);

  const run = await guard(
    client.post<LaunchedRun>('/v1/runs', {
      name: 'evalq demo',
      dataset_id: dataset.dataset_id,
      model_ids: registered.map((m) => m.model_id),
      prompt_ids: templates.map((p) => p.prompt_id),
      assertions: DEMO_ASSERTIONS,
      threshold: DEMO_THRESHOLD,
    }),
  );
  launched.datasetId = dataset.dataset_id;
  say(
    `✓ run ${run.id} launched: ${run.jobs.length} jobs (every model × prompt version), ` +
      `${count(run.progress.total)} predictions to make, graded by equals and a one-word regex`,
  );

  const names = await guard(candidateNames(client, run.model_ids, run.prompt_ids));
  const watched = await guard(watchRun(client, run, names, { signal }));
  if (signal.aborted) throw signal.reason;
  if (watched.run.status !== 'completed') {
    throw new EvalqError(
      'DEMO_RUN_STOPPED',
      `run ${run.id} ended ${watched.run.status} instead of completing (cancelled by someone?)`,
    );
  }

  await showResults(client, watched.run, names, guard);
  const share = await guard(client.post<ShareResult>(`/v1/runs/${run.id}/share`, {}));

  if (options.keepRunning) {
    say(
      `The API (${apiUrl}, dashboard at ${apiUrl}/) and the workers keep running; Ctrl-C stops them. Try:\n` +
        `  EVALQ_API_URL=${apiUrl} npm run evalq -- results --dataset ${dataset.dataset_id}\n` +
        `A read-only page of the run, no token needed: ${apiUrl}${share.url}`,
    );
    await guard(new Promise<never>(() => undefined)).catch((error: unknown) => {
      if (!(error instanceof DemoInterrupted)) throw error;
    });
    return { exitCode: 0 };
  }
  return {
    exitCode: 0,
    closing:
      `Run ${run.id}, dataset ${dataset.dataset_id} and its predictions stay in the database. ` +
      'To see them again, run `npm start` (the API, its dashboard and workers on the same database), then:\n' +
      `  npm run evalq -- runs show ${run.id}\n` +
      compareHint(watched.run, dataset.dataset_id) +
      `  npm run evalq -- results --dataset ${dataset.dataset_id} --format csv --output demo.csv\n` +
      `A read-only page of the run for a colleague, no token needed, while \`npm start\` runs ` +
      `(until ${share.expires_at}; \`evalq share ${run.id} --revoke\` ends it): ` +
      `http://127.0.0.1:${env.PORT}${share.url}`,
  };
}

/** The sample dataset, the models and the prompts, registered through the API. */
async function registerSample(
  client: ApiClient,
  catalog: DemoCatalog,
  rows: number,
  guard: DemoContext['guard'],
): Promise<{ dataset: Dataset; models: Model[]; prompts: Prompt[] }> {
  const sample = sampleRows(rows);
  const dataset = await guard(
    client.post<Dataset>('/v1/datasets', {
      name: `evalq demo ${localTimestamp(new Date())}`,
      description: 'Sample from `npm run demo`: arithmetic questions and product reviews',
    }),
  );
  await guard(client.post(`/v1/datasets/${dataset.dataset_id}/rows`, sample));
  const questions = sample.filter((row) => /^-?\d+$/.test(row.expected_prediction)).length;
  say(
    `✓ dataset ${dataset.dataset_id} "${dataset.name}": ${count(sample.length)} rows ` +
      `(${count(questions)} arithmetic questions, ${count(sample.length - questions)} product reviews)`,
  );

  const models: Model[] = [];
  for (const spec of catalog.models) {
    models.push(await guard(client.post<Model>('/v1/models', spec)));
  }
  say(
    `✓ ${models.length} model${models.length === 1 ? '' : 's'}: ` +
      `${models.map((m) => `${m.model_id} ${m.name}`).join(', ')} (${catalog.about})`,
  );
  const prompts: Prompt[] = [];
  for (const spec of catalog.prompts) {
    prompts.push(await guard(client.post<Prompt>('/v1/prompts', spec)));
  }
  say(
    `✓ ${prompts.length} versions of the chat prompt ${DEMO_PROMPT_NAME}: ` +
      prompts
        .map(
          (p) =>
            `${promptLabel(p)}${p.labels.length > 0 ? ` [${p.labels.join(', ')}]` : ''} "${p.commit_message ?? ''}"`,
        )
        .join(', '),
  );
  return { dataset, models, prompts };
}

/** The run's graded summary, and the first error when calls failed. */
async function showResults(
  client: ApiClient,
  run: Run,
  names: CandidateNames,
  guard: DemoContext['guard'],
): Promise<void> {
  say('');
  if (run.summary) say(formatRunSummary(run.summary, names));
  const [first, second] = run.summary?.leaderboard ?? [];
  if (first && second) {
    const comparison = await guard(
      client.get<Comparison>('/v1/compare', {
        dataset_id: run.dataset_id,
        a: `${first.model_id}/${first.prompt_id}`,
        b: `${second.model_id}/${second.prompt_id}`,
      }),
    );
    say(
      `The best two, row by row (evalq compare; A = ${names.candidate(first)}, B = ${names.candidate(second)}):`,
    );
    say(formatComparison(comparison, 'A', 'B'));
  }
  if (run.progress.failed > 0) {
    const page = await guard(
      client.get<Page<Prediction>>('/v1/predictions', {
        dataset_id: run.dataset_id,
        status: 'failed',
        limit: 1,
      }),
    );
    warn(
      `${count(run.progress.failed)} call(s) failed; the first error: ${page.items[0]?.error ?? '(none stored)'}`,
    );
  }
}

/** With real models at hand, the mock demo says how to use them instead. */
function offerRealModels(env: DemoEnv, provider: DemoProvider): void {
  if (provider !== 'mock') return;
  if (env.OPENAI_API_KEY) {
    say(
      `  OPENAI_API_KEY is set: \`npm run demo -- --provider openai\` evaluates ${env.EVALQ_DEMO_OPENAI_MODEL} instead of the mock models.`,
    );
  }
  if (env.OLLAMA_HOST) {
    say(
      `  OLLAMA_HOST is set: \`npm run demo -- --provider ollama\` evaluates ${env.EVALQ_DEMO_OLLAMA_MODEL} on Ollama instead.`,
    );
  }
}

/** How to compare the two best candidates row by row (model id/prompt id). */
function compareHint(run: Run, datasetId: number): string {
  const [first, second] = run.summary?.leaderboard ?? [];
  if (!first || !second) return '';
  const ref = (entry: { model_id: number; prompt_id: number }) =>
    `${entry.model_id}/${entry.prompt_id}`;
  return `  npm run evalq -- compare --dataset ${datasetId} ${ref(first)} ${ref(second)}   # the best two, row by row\n`;
}

function reportFailure(error: unknown): number {
  if (error instanceof DemoInterrupted) return error.signal === 'SIGINT' ? 130 : 143;
  if (!(error instanceof EvalqError)) {
    // Not an error evalq raised on purpose, so a bug: its stack helps whoever reports it.
    warn(
      `evalq demo: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
  warn(`evalq demo: ${error.message}`);
  if (error instanceof ServiceError) {
    const lines = error.service.recentOutput();
    if (lines.length > 0) warn(`Last output of ${error.service.name}:\n  ${lines.join('\n  ')}`);
  }
  return 1;
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

/** "2025-06-01 14:03:12" in local time: a name a person recognises in `datasets list`. */
function localTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}
