import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError, ValidationError } from '@evalq/core';
import {
  cancelRun,
  createRun,
  createShareLink,
  listRuns,
  pausedRunJobs,
  resumeJob,
  revokeShareLinks,
  setRunBudget,
} from '@evalq/db';
import type { ApiContext } from '../context.js';
import { checkPromptVariables } from '../launch/check-prompt-variables.js';
import { resumeQueued } from '../launch/resume-jobs.js';
import { startLaunchedJobs } from '../launch/start-jobs.js';
import { presentRun, presentRunListItem } from '../runs/present-run.js';
import { loadRunView } from '../runs/run-view.js';
import { errors, pageOf } from '../schemas/common.js';
import { launchResult } from '../schemas/jobs.js';
import {
  canceledRun,
  newRunBody,
  revokeResult,
  run,
  runListItem,
  runListQuery,
  runParams,
  runPatchBody,
  shareBody,
  shareResult,
} from '../schemas/runs.js';
import { newShareToken } from '../share/share-token.js';

const tags = ['runs'];

function decodeRunCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new ValidationError(
      'querystring.cursor: not a cursor this API issued; pass next_cursor from the previous page unchanged',
      [{ path: 'querystring.cursor', message: 'not a cursor this API issued' }],
    );
  }
  return id;
}

export function runRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  const viewOf = async (id: string) => {
    const view = await loadRunView(ctx.db, id);
    if (!view) throw new NotFoundError(`run ${id}`);
    return view;
  };

  return (app, _options, done) => {
    app.post(
      '/runs',
      {
        schema: {
          summary: 'Launch a run: every model × prompt job over a dataset, as one evaluation',
          description:
            'Creates (or reuses: never duplicates) every model × prompt job and the run grouping ' +
            'them, in one transaction, then enqueues the jobs. Checked first, like POST /v1/jobs: ' +
            'a prompt using a variable some rows lack, or an invalid assertion (a judge model ' +
            'that does not exist included), is a 400 naming the field (body.assertions.<i>.<field>); ' +
            'an existing job with other assertions is a 409 that points to its regrade. The jobs ' +
            'are graded with assertions and threshold (docs/grading.md), and the completed ' +
            "run's summary ranks and compares its candidates by their verdicts. budget caps the " +
            "run's spend over all its jobs (they pause at it); cache: true reuses answers from the " +
            'response cache and stores new ones (docs/cost.md).',
          tags,
          body: newRunBody,
          response: {
            201: run.extend({ enqueued: launchResult.shape.enqueued }),
            ...errors(400, 401, 404, 409, 413, 415),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        await checkPromptVariables(ctx.db, body.dataset_id, body.prompt_ids, body.assertions);
        const created = await createRun(ctx.db, body, { assertionsPath: 'body.assertions' });
        const enqueued = await startLaunchedJobs(ctx, created.jobs, request.log);
        request.log.info(
          { run: created.run.id, jobs: created.jobs.length, enqueued },
          'run launched',
        );
        return reply.code(201).send({ ...presentRun(await viewOf(created.run.id)), enqueued });
      },
    );

    app.get(
      '/runs',
      {
        schema: {
          summary: 'List runs, newest first',
          tags,
          querystring: runListQuery,
          response: { 200: pageOf(runListItem), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, dataset_id } = request.query;
        const after = cursor === undefined ? undefined : decodeRunCursor(cursor);
        const runs = await listRuns(ctx.db, { dataset_id }, { after, limit: limit + 1 });
        const items = runs.slice(0, limit);
        const last = items.at(-1);
        return {
          items: items.map(presentRunListItem),
          next_cursor:
            runs.length > limit && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
        };
      },
    );

    app.get(
      '/runs/:id',
      {
        schema: {
          summary: 'One run: status, progress, its jobs, and the summary once completed',
          description: 'Carries an ETag; answers 304 to If-None-Match.',
          tags,
          params: runParams,
          response: { 200: run, ...errors(400, 401, 404) },
        },
      },
      async (request) => presentRun(await viewOf(request.params.id)),
    );

    app.patch(
      '/runs/:id',
      {
        schema: {
          summary: "Change a run's budget",
          description:
            "Replaces the run's budget (a limit left out is no limit). Its jobs paused by a " +
            'budget resume when the new one leaves room (docs/cost.md).',
          tags,
          params: runParams,
          body: runPatchBody,
          response: { 200: run, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        const { resumed } = await setRunBudget(ctx.db, request.params.id, request.body.budget);
        await resumeQueued(ctx, resumed, request.log);
        request.log.info({ run: request.params.id, resumed: resumed.length }, 'run budget set');
        return presentRun(await viewOf(request.params.id));
      },
    );

    app.post(
      '/runs/:id/resume',
      {
        schema: {
          summary: "Resume a run's paused jobs",
          description:
            'After fixing a model (PATCH /v1/models/:id) that paused jobs with paused_reason ' +
            'provider: their rows that failed by the configuration error run again. Jobs ' +
            'paused by a budget that is still reached stay paused (raise the budget).',
          tags,
          params: runParams,
          response: { 200: run, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        await viewOf(request.params.id);
        const resumed = [];
        for (const key of await pausedRunJobs(ctx.db, request.params.id)) {
          if ((await resumeJob(ctx.db, key)).resumed) resumed.push(key);
        }
        await resumeQueued(ctx, resumed, request.log);
        request.log.info({ run: request.params.id, resumed: resumed.length }, 'run resumed');
        return presentRun(await viewOf(request.params.id));
      },
    );

    app.delete(
      '/runs/:id',
      {
        schema: {
          summary: 'Cancel a run',
          description:
            'Cancels its unfinished jobs that no other run uses (deleting their predictions, as ' +
            'DELETE /v1/jobs/… does); finished jobs and their predictions stay. The run then reads ' +
            'canceled. One transaction.',
          tags,
          params: runParams,
          response: { 200: canceledRun, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const outcome = await cancelRun(ctx.db, request.params.id);
        for (const key of outcome.canceled_jobs) ctx.progressCache.invalidate(key);
        request.log.info(
          { run: request.params.id, canceled_jobs: outcome.canceled_jobs.length },
          'run canceled',
        );
        return {
          ...presentRun(await viewOf(request.params.id)),
          canceled_jobs: outcome.canceled_jobs,
          kept_jobs: outcome.kept_jobs,
        };
      },
    );

    app.post(
      '/runs/:id/share',
      {
        schema: {
          summary: "Make a read-only link to a run's results",
          description:
            'Each call makes a new link; earlier ones stay valid until they expire. The page at ' +
            'url and its JSON at url + /data need no API token and show no model configuration. ' +
            'The token is shown only here: only its hash is stored.',
          tags,
          params: runParams,
          body: shareBody,
          response: { 201: shareResult, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const { token, hash } = newShareToken();
        const link = await createShareLink(
          ctx.db,
          request.params.id,
          hash,
          request.body.expires_in_s,
        );
        request.log.info(
          { run: request.params.id, expires_at: link.expires_at },
          'share link made',
        );
        return reply
          .code(201)
          .send({ url: `/share/${token}`, expires_at: link.expires_at.toISOString() });
      },
    );

    app.delete(
      '/runs/:id/share',
      {
        schema: {
          summary: 'Revoke every share link of a run',
          description: 'A revoked link answers 410.',
          tags,
          params: runParams,
          response: { 200: revokeResult, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const revoked = await revokeShareLinks(ctx.db, request.params.id);
        return { id: request.params.id, revoked };
      },
    );
    done();
  };
}
