import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { formatJobKey, NotFoundError } from '@evalq/core';
import {
  cancelJob,
  getJob,
  launchJobs,
  listJobs,
  requestRegrade,
  resumeJob,
  retryFailedRows,
  setJobBudget,
} from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { enqueueJobs } from '../enqueue.js';
import { checkPromptVariables } from '../launch/check-prompt-variables.js';
import { resumeQueued } from '../launch/resume-jobs.js';
import { startLaunchedJobs } from '../launch/start-jobs.js';
import { toProgress } from '../progress.js';
import { cursorParam, errors, limitParam, pageOf } from '../schemas/common.js';
import {
  cancelResult,
  jobListQuery,
  jobParams,
  jobPatchBody,
  launchBody,
  launchResult,
  progress,
  regradeBody,
  resumeResult,
  retryResult,
} from '../schemas/jobs.js';

const tags = ['jobs'];
const keyOf = (job: { model_id: number; prompt_id: number; dataset_id: number }) => ({
  model_id: job.model_id,
  prompt_id: job.prompt_id,
  dataset_id: job.dataset_id,
});

export function jobRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/jobs',
      {
        schema: {
          summary: 'Launch every model × prompt job over a dataset',
          description:
            'Idempotent: a job that exists already is returned as it is, not duplicated. New ' +
            'jobs are stored (with one pending status row per dataset row) in one transaction, ' +
            'then enqueued; if Redis is unreachable the launch still succeeds (enqueued: false) ' +
            'and workers find the jobs in PostgreSQL. A prompt bound to another model is a 409. ' +
            "A prompt using a variable that some of the dataset's rows lack (or that none has, " +
            'such as a misspelt {{contnet}}) is a 400 naming the variable and how many rows lack it. ' +
            'assertions and threshold say how predictions are graded (docs/grading.md); they ' +
            'are validated before anything is stored (400 naming body.assertions.<i>.<field>). ' +
            'Launching an existing job with other assertions is a 409 that points to its regrade.',
          tags,
          body: launchBody,
          response: { 201: launchResult, ...errors(400, 401, 404, 409, 413, 415) },
        },
      },
      async (request, reply) => {
        const { dataset_id, prompt_ids, assertions } = request.body;
        await checkPromptVariables(ctx.db, dataset_id, prompt_ids, assertions);
        const jobs = await launchJobs(ctx.db, request.body, { assertionsPath: 'body.assertions' });
        const enqueued = await startLaunchedJobs(ctx, jobs, request.log);
        const created = jobs.filter((job) => job.created).map(keyOf);
        request.log.info(
          { created: created.map(formatJobKey), existing: jobs.length - created.length, enqueued },
          'jobs launched',
        );
        return reply.code(201).send({ jobs: jobs.map(toProgress), created, enqueued });
      },
    );

    app.get(
      '/jobs',
      {
        schema: {
          summary: 'List jobs with their progress',
          description:
            'Ordered by dataset, model, prompt. Carries an ETag; answers 304 to If-None-Match.',
          tags,
          querystring: jobListQuery.extend({ cursor: cursorParam, limit: limitParam(1000, 5000) }),
          response: { 200: pageOf(progress), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, ...filter } = request.query;
        const decoded = cursor === undefined ? undefined : decodeCursor(cursor, 3);
        const after = decoded && {
          dataset_id: decoded[0]!,
          model_id: decoded[1]!,
          prompt_id: decoded[2]!,
        };
        const jobs = await listJobs(ctx.db, filter, { after, limit: limit + 1 });
        return toPage(jobs, limit, (j) => [j.dataset_id, j.model_id, j.prompt_id], toProgress);
      },
    );

    app.get(
      '/jobs/:model_id/:prompt_id/:dataset_id',
      {
        schema: {
          summary: "One job's progress",
          description:
            "Read in O(1) from the job's counters. Carries an ETag; answers 304 to If-None-Match.",
          tags,
          params: jobParams,
          response: { 200: progress, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const job = await ctx.progressCache.read(request.params, () =>
          getJob(ctx.db, request.params),
        );
        if (!job) throw new NotFoundError(`job ${formatJobKey(request.params)}`);
        return toProgress(job);
      },
    );

    app.delete(
      '/jobs/:model_id/:prompt_id/:dataset_id',
      {
        schema: {
          summary: 'Cancel a job: delete it, its status rows and its predictions',
          description: 'One transaction; launching the job again starts it from zero.',
          tags,
          params: jobParams,
          response: { 200: cancelResult, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const cancelled = await cancelJob(ctx.db, request.params);
        ctx.progressCache.invalidate(request.params);
        request.log.info({ job: formatJobKey(request.params), ...cancelled }, 'job cancelled');
        return { ...cancelled, cancelled: true as const };
      },
    );

    app.patch(
      '/jobs/:model_id/:prompt_id/:dataset_id',
      {
        schema: {
          summary: "Change a job's budget",
          description:
            "Replaces the job's own budget (a limit left out is no limit). A job paused by its " +
            'budget resumes when the new one leaves room (docs/cost.md).',
          tags,
          params: jobParams,
          body: jobPatchBody,
          response: { 200: progress, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        const { resumed, job } = await setJobBudget(ctx.db, request.params, request.body.budget);
        ctx.progressCache.invalidate(request.params);
        await resumeQueued(ctx, resumed, request.log);
        request.log.info(
          { job: formatJobKey(request.params), resumed: resumed.length > 0 },
          'job budget set',
        );
        return toProgress(job);
      },
    );

    app.post(
      '/jobs/:model_id/:prompt_id/:dataset_id/resume',
      {
        schema: {
          summary: 'Resume a paused job',
          description:
            'After fixing its model (PATCH /v1/models/:id) when paused_reason is provider: the ' +
            'rows that failed by the configuration error run again. A job held by a budget ' +
            'that is still reached stays paused (resumed: false): raise the budget instead.',
          tags,
          params: jobParams,
          response: { 200: resumeResult, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { resumed, job } = await resumeJob(ctx.db, request.params);
        ctx.progressCache.invalidate(request.params);
        if (resumed) await resumeQueued(ctx, [request.params], request.log);
        request.log.info({ job: formatJobKey(request.params), resumed }, 'job resume asked');
        return { resumed, job: toProgress(job) };
      },
    );

    app.post(
      '/jobs/:model_id/:prompt_id/:dataset_id/retry-failed',
      {
        schema: {
          summary: "Process a job's failed rows again",
          description:
            'Deletes the failed predictions, sends their rows back to pending and the job back to ' +
            'running (one transaction), then enqueues it.',
          tags,
          params: jobParams,
          response: { 200: retryResult, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { reset, job } = await retryFailedRows(ctx.db, request.params);
        ctx.progressCache.invalidate(request.params);
        if (reset > 0) {
          await enqueueJobs(ctx.queue, [request.params], ctx.config.enqueueTimeoutMs, request.log);
        }
        request.log.info({ job: formatJobKey(request.params), reset }, 'failed rows reset');
        return { reset, job: toProgress(job) };
      },
    );
    app.post(
      '/jobs/:model_id/:prompt_id/:dataset_id/regrade',
      {
        schema: {
          summary: "Grade a job's stored predictions again, with new or the current assertions",
          description:
            'Workers regrade every successful prediction without calling the candidate model; ' +
            'progress shows regrading until the counters match the new verdicts. A new list ' +
            'without threshold clears the threshold.',
          tags,
          params: jobParams,
          body: regradeBody,
          response: { 200: progress, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        const job = await requestRegrade(ctx.db, request.params, request.body, {
          assertionsPath: 'body.assertions',
        });
        ctx.progressCache.invalidate(request.params);
        await enqueueJobs(ctx.queue, [request.params], ctx.config.enqueueTimeoutMs, request.log);
        request.log.info(
          { job: formatJobKey(request.params), remaining: job.regrade_remaining },
          'regrade requested',
        );
        return toProgress(job);
      },
    );
    done();
  };
}
