import { Readable } from 'node:stream';
import { validatorCompiler, type FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { getDataset, importRows } from '@evalq/db';
import { payloadTooLarge } from '../api-error.js';
import type { ApiContext } from '../context.js';
import { uploadError } from '../import/row-error.js';
import { ACCEPTED_UPLOAD_TYPES, uploadFormat } from '../import/upload-format.js';
import { uploadRows } from '../import/upload-rows.js';
import { errors } from '../schemas/common.js';
import { datasetParams, importResult, rowsUpload } from '../schemas/datasets.js';

/** A rejected upload up to this size is read to its end, so the client sees the answer cleanly. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * POST /v1/datasets/:dataset_id/rows — rows as a JSON array, NDJSON or CSV, streamed
 * from the socket through a parser into one COPY: a million-row upload is never held
 * in memory, and a bad row anywhere rejects the whole upload with nothing stored.
 */
export function rowsImportRoutes(ctx: ApiContext): FastifyPluginCallbackZod {
  return (app, _options, done) => {
    // This scope reads the body itself, as a stream, whatever its type; the route
    // decides which types it accepts (415 for the rest).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    app.post(
      '/datasets/:dataset_id/rows',
      {
        bodyLimit: ctx.config.importLimitBytes,
        // The body schema documents the rows for OpenAPI; the stream itself is checked
        // row by row as it is read (uploadRows), so it is not validated as a whole here.
        validatorCompiler: (definition) =>
          definition.httpPart === 'body'
            ? (data: unknown) => ({ value: data })
            : // Each part's schema is a zod schema; the route's typing only sees the whole.
              validatorCompiler(definition as unknown as Parameters<typeof validatorCompiler>[0]),
        schema: {
          summary: 'Import rows into a dataset (all or nothing)',
          description:
            'Send `application/json` (an array of {content, expected_prediction}), ' +
            '`application/x-ndjson` (one such object per line) or `text/csv` (a header row ' +
            'naming content and expected_prediction, then one row per record; RFC 4180 quoting), ' +
            'UTF-8. The upload is streamed into PostgreSQL in one transaction: a bad row ' +
            'rejects it whole (400 naming the row number, from 1, and the field) and stores nothing.',
          tags: ['datasets'],
          params: datasetParams,
          body: rowsUpload,
          consumes: ACCEPTED_UPLOAD_TYPES,
          response: { 201: importResult, ...errors(400, 401, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const { dataset_id } = request.params;
        const format = uploadFormat(request.headers['content-type']);
        const limit = ctx.config.importLimitBytes;
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          // Say so before reading anything, and do not read the rest.
          reply.header('connection', 'close');
          throw payloadTooLarge(limit);
        }
        if (!(request.body instanceof Readable)) throw uploadError('the upload has no rows');

        try {
          const imported = await importRows(
            ctx.pool,
            dataset_id,
            uploadRows(request.body, format, limit),
            { statementTimeout: ctx.config.importStatementTimeout },
          );
          const updated = await getDataset(ctx.db, dataset_id);
          return await reply.code(201).send({
            dataset_id,
            imported,
            row_count: updated?.row_count ?? imported,
          });
        } catch (error) {
          // Node reads and discards the rest of a rejected upload so the client can read
          // the answer; past a modest size (or with no declared size) it is cheaper to
          // close the connection instead.
          const cheapToDrain = Number.isFinite(declared) && declared <= DRAIN_LIMIT_BYTES;
          if (!request.body.readableEnded && !cheapToDrain) reply.header('connection', 'close');
          throw error;
        }
      },
    );
    done();
  };
}
