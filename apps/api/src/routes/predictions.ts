import { z } from 'zod';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { exportPredictions, getPrediction, listPredictions } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { EXPORT_CONTENT_TYPES } from '../export/prediction-export.js';
import { presentPrediction } from '../presenters.js';
import { errors, idParam, pageOf } from '../schemas/common.js';
import { prediction, predictionExportQuery, predictionListQuery } from '../schemas/predictions.js';

const tags = ['predictions'];

export function predictionRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/predictions',
      {
        schema: {
          summary: 'Predictions, with their rows and correctness, page by page',
          description:
            'Ordered by dataset, model, prompt, row. Follow next_cursor until it is null; a page ' +
            'costs the same anywhere in a million predictions.',
          tags,
          querystring: predictionListQuery,
          response: { 200: pageOf(prediction), ...errors(400, 401) },
        },
      },
      async (request) => {
        const { cursor, limit, ...filter } = request.query;
        const decoded = cursor === undefined ? undefined : decodeCursor(cursor, 4);
        const after = decoded && {
          dataset_id: decoded[0]!,
          model_id: decoded[1]!,
          prompt_id: decoded[2]!,
          row_id: decoded[3]!,
        };
        const rows = await listPredictions(ctx.db, filter, { after, limit: limit + 1 });
        return toPage(
          rows,
          limit,
          (row) => [row.dataset_id, row.model_id, row.prompt_id, row.row_id],
          presentPrediction,
        );
      },
    );

    app.get(
      '/predictions/:prediction_id',
      {
        schema: {
          summary: 'One prediction: its output, the prompt sent, and each assertion’s result',
          description:
            'grading holds each assertion’s verdict, score and reason (a judge’s reason, or why ' +
            'it could not decide). prediction_id comes from a list, the grid or a comparison’s rows.',
          tags,
          params: z.object({ prediction_id: idParam }),
          response: { 200: prediction, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const found = await getPrediction(ctx.db, request.params.prediction_id);
        if (!found) throw new NotFoundError(`prediction ${request.params.prediction_id}`);
        return presentPrediction(found);
      },
    );

    app.get(
      '/predictions/export',
      {
        schema: {
          summary: 'Export predictions as CSV or JSONL, streamed',
          description:
            'The same fields and order as GET /v1/predictions, as one download from one consistent ' +
            'snapshot, streamed as the client reads: any number of predictions, constant memory.',
          tags,
          querystring: predictionExportQuery,
          produces: Object.values(EXPORT_CONTENT_TYPES),
          response: {
            200: z.unknown().describe('CSV with a header row, or one JSON object per line'),
            ...errors(400, 401),
          },
        },
      },
      async (request, reply) => {
        const { format, ...filter } = request.query;
        const scope = Object.entries(filter)
          .map(([name, value]) => `${name}-${value}`)
          .join('_');
        return reply
          .type(EXPORT_CONTENT_TYPES[format])
          .header(
            'content-disposition',
            `attachment; filename="predictions${scope ? `_${scope}` : ''}.${format}"`,
          )
          .send((await exportPredictions(ctx.pool, filter, format)).stream);
      },
    );
    done();
  };
}
