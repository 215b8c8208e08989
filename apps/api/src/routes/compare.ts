import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { disagreeingRows, getDataset } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { decodeCursor, toPage } from '../cursor.js';
import { errors, pageOf } from '../schemas/common.js';
import {
  compareQuery,
  compareRowsQuery,
  comparison,
  disagreeingRow,
} from '../schemas/comparison.js';
import { compareCandidates, describeComparison } from '../statistics/compare-candidates.js';

export function compareRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    app.get(
      '/compare',
      {
        schema: {
          summary: 'Is candidate A or B better on the same rows, and are we sure?',
          description:
            'Over the rows where both candidates (model × prompt) have a graded successful ' +
            "prediction: the 2×2 table of verdicts, McNemar's exact two-sided test on the rows " +
            'where they disagree, the mean score difference (A − B) with a paired bootstrap 95% ' +
            'interval (2,000 resamples, fixed seed), and the winner when p < 0.05 ' +
            '(docs/grading.md). One pass over the pairs in SQL.',
          tags: ['statistics'],
          querystring: compareQuery,
          response: { 200: comparison, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { dataset_id, a, b } = request.query;
        const [found, result] = await Promise.all([
          getDataset(ctx.db, dataset_id),
          compareCandidates(ctx.db, dataset_id, a, b),
        ]);
        if (!found) throw new NotFoundError(`dataset ${dataset_id}`);
        return { dataset_id, a, b, ...result, verdict: describeComparison(a, b, result) };
      },
    );

    app.get(
      '/compare/rows',
      {
        schema: {
          summary: 'The rows where two candidates disagree, with both outputs',
          description:
            "The rows behind GET /v1/compare's a_only and b_only: both candidates have a graded " +
            'successful prediction and exactly one passed (only=a: A alone, only=b: B alone). ' +
            'In row order, page by page: follow next_cursor until it is null.',
          tags: ['statistics'],
          querystring: compareRowsQuery,
          response: { 200: pageOf(disagreeingRow), ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { dataset_id, a, b, only, cursor, limit } = request.query;
        const afterRowId = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
        const [found, rows] = await Promise.all([
          getDataset(ctx.db, dataset_id),
          disagreeingRows(ctx.db, dataset_id, a, b, { only, afterRowId, limit: limit + 1 }),
        ]);
        if (!found) throw new NotFoundError(`dataset ${dataset_id}`);
        return toPage(
          rows,
          limit,
          (row) => [row.row_id],
          (row) => row,
        );
      },
    );
    done();
  };
}
