import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import {
  createDataset,
  datasetLeaderboard,
  deleteDataset,
  updateDataset,
  getDataset,
  listDatasets,
  listRows,
} from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { presentDataset, presentRow } from '../presenters.js';
import { cursorParam, errors, limitParam, pageOf } from '../schemas/common.js';
import {
  dataset,
  datasetParams,
  datasetChangesBody,
  datasetRow,
  deletedDataset,
  newDatasetBody,
} from '../schemas/datasets.js';
import { leaderboard } from '../schemas/predictions.js';
import { rankedLeaderboard } from '../statistics/ranked-leaderboard.js';
import { classificationReportOf } from '../statistics/classification.js';
import { classification, classificationQuery } from '../schemas/comparison.js';

const tags = ['datasets'];

export function datasetRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.post(
      '/datasets',
      {
        schema: {
          summary: 'Create a dataset (add rows with POST /v1/datasets/{dataset_id}/rows)',
          tags,
          body: newDatasetBody,
          response: { 201: dataset, ...errors(400, 401, 413, 415) },
        },
      },
      async (request, reply) => {
        const created = await createDataset(ctx.db, request.body);
        return reply.code(201).send(presentDataset(created));
      },
    );

    app.get(
      '/datasets',
      {
        schema: {
          summary: 'List datasets',
          tags,
          querystring: z.object({
            name: z.string().max(200).optional().describe('only those with exactly this name'),
            cursor: cursorParam,
            limit: limitParam(100, 1000),
          }),
          response: { 200: pageOf(dataset), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, name } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const rows = await listDatasets(ctx.db, { after, limit: limit + 1, name });
        return toPage(rows, limit, (d) => [d.dataset_id], presentDataset);
      },
    );

    app.get(
      '/datasets/:dataset_id',
      {
        schema: {
          summary: 'One dataset',
          tags,
          params: datasetParams,
          response: { 200: dataset, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const found = await getDataset(ctx.db, request.params.dataset_id);
        if (!found) throw new NotFoundError(`dataset ${request.params.dataset_id}`);
        return presentDataset(found);
      },
    );

    app.patch(
      '/datasets/:dataset_id',
      {
        schema: {
          summary: "Change a dataset's name, description or grading defaults",
          description:
            'default_assertions (and default_threshold) grade the jobs launched later on this ' +
            'dataset without assertions of their own; existing jobs keep theirs (regrade them to ' +
            'apply new ones). null goes back to the default, [{"type": "equals"}].',
          tags,
          params: datasetParams,
          body: datasetChangesBody,
          response: { 200: dataset, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request) => {
        const updated = await updateDataset(ctx.db, request.params.dataset_id, request.body, {
          assertionsPath: 'body.default_assertions',
        });
        return presentDataset(updated);
      },
    );

    app.get(
      '/datasets/:dataset_id/classification',
      {
        schema: {
          summary: "One candidate's per-label precision, recall, F1 and confusion matrix",
          description:
            'For classification datasets (at most 100 distinct expected labels). Labels and ' +
            'outputs are compared as equals compares them (trimmed, ignoring case); outputs ' +
            'outside the label set are counted apart. Successful predictions only.',
          tags,
          params: datasetParams,
          querystring: classificationQuery,
          response: { 200: classification, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { dataset_id } = request.params;
        const found = await getDataset(ctx.db, dataset_id);
        if (!found) throw new NotFoundError(`dataset ${dataset_id}`);
        return {
          dataset_id,
          ...request.query,
          ...(await classificationReportOf(ctx.db, dataset_id, request.query)),
        };
      },
    );

    app.delete(
      '/datasets/:dataset_id',
      {
        schema: {
          summary: 'Delete a dataset with its rows, finished jobs and their predictions',
          description:
            'Refused (409) while any of its jobs is pending or running: cancel those first.',
          tags,
          params: datasetParams,
          response: { 200: deletedDataset, ...errors(400, 401, 404, 409) },
        },
      },
      async (request) => {
        const deleted = await deleteDataset(ctx.db, request.params.dataset_id);
        ctx.progressCache.clear();
        return deleted;
      },
    );

    app.get(
      '/datasets/:dataset_id/rows',
      {
        schema: {
          summary: "A dataset's rows, in order",
          tags,
          params: datasetParams,
          querystring: z.object({ cursor: cursorParam, limit: limitParam(100, 1000) }),
          response: { 200: pageOf(datasetRow), ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { dataset_id } = request.params;
        const { cursor, limit } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const [found, rows] = await Promise.all([
          getDataset(ctx.db, dataset_id),
          listRows(ctx.db, dataset_id, { after, limit: limit + 1 }),
        ]);
        if (!found) throw new NotFoundError(`dataset ${dataset_id}`);
        return toPage(
          rows,
          limit,
          (r) => [r.row_id],
          (r) => presentRow(r, dataset_id),
        );
      },
    );

    app.get(
      '/datasets/:dataset_id/leaderboard',
      {
        schema: {
          summary: 'Pass rate with its interval, failures, latency and tokens per model × prompt',
          description:
            'Best pass rate first. pass_rate_ci95 is the Wilson 95% interval; round_table_winner ' +
            "marks, per prompt, the model with the best pass rate when it beats the prompt's " +
            'runner-up with McNemar p < 0.05 (docs/grading.md).',
          tags,
          params: datasetParams,
          response: { 200: leaderboard, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { dataset_id } = request.params;
        const [found, entries] = await Promise.all([
          getDataset(ctx.db, dataset_id),
          datasetLeaderboard(ctx.db, dataset_id),
        ]);
        if (!found) throw new NotFoundError(`dataset ${dataset_id}`);
        return { dataset_id, entries: await rankedLeaderboard(ctx.db, dataset_id, entries) };
      },
    );
    done();
  };
}
