import { coerceError } from '@evalq/core';
import type { ClaimedRow } from '@evalq/db';
import type { BatchClient } from '@evalq/providers';
import type { JobContext } from '../job-catalog.js';

/** A batch's input file, built from the rows it holds. */
export interface BatchFile {
  content: string;
  bytes: number;
  /** The rows in the file, in order. */
  included: ClaimedRow[];
  /** Rows beyond the byte limit: they go back to pending, for the next batch. */
  overflow: ClaimedRow[];
  /** Rows whose prompt cannot be rendered, with why: stored as failed without a call. */
  unrenderable: { row: ClaimedRow; problem: string }[];
}

/**
 * A request line's custom_id: the row and its fencing token, so a result line names the
 * claim it answers and nothing else is looked up to store it.
 */
export function customId(row: { row_id: number; claim_attempt: number }): string {
  return `${row.row_id}.${row.claim_attempt}`;
}

export function parseCustomId(id: string): { row_id: number; claim_attempt: number } | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(id);
  return match ? { row_id: Number(match[1]), claim_attempt: Number(match[2]) } : undefined;
}

/** The file's name at the provider: how an upload whose answer was lost is found again. */
export function batchFileName(uid: string): string {
  return `evalq-${uid}.jsonl`;
}

/**
 * Renders each row's request as a JSONL line, the same request an online call sends,
 * until the next line would pass `maxBytes`. The same rows always give the same file,
 * so a file built again after a crash is the one that may already be uploaded.
 */
export function buildBatchFile(
  rows: readonly ClaimedRow[],
  context: JobContext,
  client: BatchClient,
  maxBytes: number,
): BatchFile {
  const lines: string[] = [];
  const file: BatchFile = { content: '', bytes: 0, included: [], overflow: [], unrenderable: [] };
  for (const row of rows) {
    if (file.overflow.length > 0) {
      file.overflow.push(row);
      continue;
    }
    let line: string;
    try {
      const rendered = context.prompt.render({
        content: row.content,
        expected: row.expected_prediction,
        input: row.input ?? {},
      });
      line = client.requestLine(customId(row), {
        messages: rendered.messages,
        sampling: context.prompt.sampling,
      });
    } catch (error) {
      file.unrenderable.push({ row, problem: coerceError(error).message });
      continue;
    }
    const bytes = Buffer.byteLength(line) + 1;
    if (file.bytes + bytes > maxBytes && file.included.length > 0) {
      file.overflow.push(row);
      continue;
    }
    lines.push(line);
    file.included.push(row);
    file.bytes += bytes;
  }
  file.content = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  return file;
}
