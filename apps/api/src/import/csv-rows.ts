import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import type { NewRow } from '@evalq/db';
import { checkField, ROW_FIELDS } from './check-row.js';
import { rowError, uploadError } from './row-error.js';

/** The header row names the columns: content and expected_prediction, in any order. */
function columnIndexes(header: string[]): { content: number; expected: number } {
  const names = header.map((name) => name.trim().toLowerCase());
  for (const name of names) {
    if (!(ROW_FIELDS as readonly string[]).includes(name)) {
      throw uploadError(
        `the CSV header has an unknown column ${JSON.stringify(name)}: the header must be content,expected_prediction`,
        'header',
      );
    }
  }
  const content = names.indexOf('content');
  const expected = names.indexOf('expected_prediction');
  if (content < 0 || expected < 0 || names.length !== 2) {
    throw uploadError(
      `the CSV header must name the columns content and expected_prediction (got ${JSON.stringify(header.join(','))})`,
      'header',
    );
  }
  return { content, expected };
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

  let columns: { content: number; expected: number } | undefined;
  let row = 0;
  let batch: NewRow[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (columns === undefined) {
        columns = columnIndexes(record);
        continue;
      }
      row += 1;
      batch.push({
        content: checkField(record[columns.content], 'content', { row }),
        expected_prediction: checkField(record[columns.expected], 'expected_prediction', { row }),
      });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    await feeding;
  } catch (error) {
    if (error instanceof CsvError) throw csvProblem(error);
    throw error;
  } finally {
    parser.destroy();
  }
  if (columns === undefined) {
    throw uploadError(
      'the upload is empty: send a CSV header row (content,expected_prediction) and rows',
    );
  }
  if (batch.length > 0) yield batch;
}

/**
 * csv-parse's errors, in terms of the upload's rows. The parser runs ahead of us, so
 * the row comes from its own count of records (the header is its record 1, not a row).
 */
function csvProblem(error: CsvError): Error {
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
      `has ${found ?? 'a different number of'} field(s) where the header has 2 (quote fields that contain commas)`,
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
