import type { NewRow } from '@evalq/db';
import { csvRows } from './csv-rows.js';
import { decodeUpload } from './decode-upload.js';
import { jsonArrayRows } from './json-array-rows.js';
import { ndjsonRows } from './ndjson-rows.js';
import { uploadError } from './row-error.js';
import type { UploadFormat } from './upload-format.js';

/** Rows per COPY write: large enough to amortise the per-chunk cost, small enough to stream. */
const BATCH_SIZE = 500;

/** An upload's rows, parsed and checked as its bytes arrive, in batches. */
export async function* uploadRows(
  body: AsyncIterable<Buffer | string>,
  format: UploadFormat,
  limitBytes: number,
): AsyncGenerator<NewRow[]> {
  let rows = 0;
  for await (const batch of parse(decodeUpload(body, limitBytes), format)) {
    rows += batch.length;
    yield batch;
  }
  if (rows === 0) throw uploadError('the upload has no rows');
}

function parse(text: AsyncIterable<string>, format: UploadFormat): AsyncGenerator<NewRow[]> {
  switch (format) {
    case 'csv':
      return csvRows(text, BATCH_SIZE);
    case 'ndjson':
      return ndjsonRows(text, BATCH_SIZE);
    case 'json':
      return jsonArrayRows(text, BATCH_SIZE);
  }
}
