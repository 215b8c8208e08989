import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import type { NewRow } from '@evalq/db';
import { checkField, checkInputLength, unstorable } from './check-row.js';
import { csvColumns, type CsvColumns } from './csv-columns.js';
import { rowError, uploadError } from './row-error.js';

/** One record as a row: input cells become the input object (an empty cell is ""). */
function csvRow(record: readonly string[], columns: CsvColumns, row: number): NewRow {
  const content =
    columns.content === undefined
      ? undefined
      : checkField(record[columns.content], 'content', { row });
  const expected = checkField(record[columns.expected], 'expected_prediction', { row });
  if (columns.inputs.length === 0) return { content: content!, expected_prediction: expected };
  for (const { index, header } of columns.inputs) {
    const problem = unstorable(record[index]!);
    if (problem) throw rowError({ row }, header, problem);
  }
  // Each cell was checked above, so the JSON text holds no NUL or lone surrogate.
  const input = checkInputLength(columns.input(record), { row });
  return { content: content ?? input, expected_prediction: expected, input };
}

/**
 * CSV with a header row (RFC 4180: quoted fields may hold commas, quotes and line
 * breaks), parsed by csv-parse as the text arrives. Yields rows in batches.
 */
export async function* csvRows(
  text: AsyncIterable<string>,
  batchSize: number,
): AsyncGenerator<NewRow[]> {
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: false });
  // Feeds the parser while we read from it; if we stop early (a bad row), the parser is
  // destroyed and this rejects, which only means "stopped".
  const feeding = pipeline(text, parser);
  feeding.catch(() => undefined);

  let columns: CsvColumns | undefined;
  let headerLength: number | undefined;
  let row = 0;
  let batch: NewRow[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (columns === undefined) {
        headerLength = record.length;
        columns = csvColumns(record);
        continue;
      }
      row += 1;
      batch.push(csvRow(record, columns, row));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    await feeding;
  } catch (error) {
    if (error instanceof CsvError) throw csvProblem(error, headerLength);
    throw error;
  } finally {
    parser.destroy();
  }
  if (columns === undefined) {
    throw uploadError(
      'the upload is empty: send a CSV header row (e.g. content,expected_prediction) and rows',
    );
  }
  if (batch.length > 0) yield batch;
}

/**
 * csv-parse's errors, in terms of the upload's rows. The parser runs ahead of us, so
 * the row comes from its own count of records (the header is its record 1, not a row).
 */
function csvProblem(error: CsvError, headerLength: number | undefined): Error {
  const { lines, records } = error as { lines?: number; records?: number };
  const position = {
    row: typeof records === 'number' ? Math.max(records, 1) : 1,
    ...(typeof lines === 'number' && { line: lines }),
  };
  if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const found = (error as { record?: unknown[] }).record?.length;
    return rowError(
      position,
      undefined,
      `has ${found ?? 'a different number of'} field(s) where the header has ${headerLength ?? 'another number'} (quote fields that contain commas)`,
    );
  }
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return rowError(position, undefined, 'opens a quoted field that is never closed');
  }
  if (error.code === 'CSV_INVALID_CLOSING_QUOTE' || error.code === 'INVALID_OPENING_QUOTE') {
    return rowError(
      position,
      undefined,
      'has a stray quote (inside a quoted field, write a quote as "")',
    );
  }
  return rowError(position, undefined, `is not valid CSV (${error.message})`);
}
