import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { datasetCandidates, getDataset, predictionGrid } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errors } from '../schemas/common.js';
import { datasetParams } from '../schemas/datasets.js';
import {
  gridQuery,
  MAX_GRID_CANDIDATES,
  predictionGrid as gridSchema,
} from '../schemas/prediction-grid.js';

/**
 * GET /v1/datasets/:id/grid — the dataset's rows × candidates, each cell a candidate's
 * verdict and output for the row: what an operator reads first. One statement per page
 * (packages/db/src/queries/prediction-grid.ts), whatever the number of cells.
 */
export function predictionGridRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/datasets/:dataset_id/grid',
      {
        schema: {
          summary: 'Rows × candidates: each cell a candidate’s verdict and output for the row',
          description:
            'A page of the dataset’s rows in row order, each with one cell per candidate ' +
            '(model × prompt): its verdict, score and output (cut to 1,000 characters; ' +
            'GET /v1/predictions/{prediction_id} has all of it and the grading), or null where ' +
            'it has no prediction yet. Follow next_cursor until it is null.',
          tags: ['predictions'],
          params: datasetParams,
          querystring: gridQuery,
          response: { 200: gridSchema, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { dataset_id } = request.params;
        const { cursor, limit } = request.query;
        const afterRowId = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const [found, candidates] = await Promise.all([
          getDataset(ctx.db, dataset_id),
          request.query.candidates ?? datasetCandidates(ctx.db, dataset_id, MAX_GRID_CANDIDATES),
        ]);
        if (!found) throw new NotFoundError(`dataset ${dataset_id}`);
        const rows = await predictionGrid(ctx.db, dataset_id, candidates, {
          afterRowId,
          limit: limit + 1,
        });
        const items = rows.slice(0, limit);
        const last = items.at(-1);
        return {
          dataset_id,
          candidates,
          items,
          next_cursor: rows.length > limit && last ? encodeCursor([last.row_id]) : null,
        };
      },
    );
    done();
  };
}
