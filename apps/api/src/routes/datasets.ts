import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import {
  createDataset,
  datasetLeaderboard,
  deleteDataset,
  getDataset,
  listDatasets,
  listRows,
} from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { presentDataset, presentLeaderboardEntry, presentRow } from '../presenters.js';
import { cursorParam, errors, limitParam, pageOf } from '../schemas/common.js';
import {
  dataset,
  datasetParams,
  datasetRow,
  deletedDataset,
  newDatasetBody,
} from '../schemas/datasets.js';
import { leaderboard } from '../schemas/predictions.js';

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
          summary: 'Accuracy, failures, latency and tokens per model × prompt over the dataset',
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
        return { dataset_id, entries: entries.map(presentLeaderboardEntry) };
      },
    );
    done();
  };
}
