import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '@evalq/core';
import { getDataset } from '@evalq/db';
import type { ApiContext } from '../context.js';
import { errors } from '../schemas/common.js';
import { compareQuery, comparison } from '../schemas/comparison.js';
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
    done();
  };
}
