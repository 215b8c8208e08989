import type { Completion } from '@evalq/providers';
import { parseCustomId } from './batch-file.js';

/** One line of a batch's output or error file, as evalq reads it. */
export type BatchResultLine =
  | { row_id: number; claim_attempt: number; ok: true; completion: Completion }
  | { row_id: number; claim_attempt: number; ok: false; error: string };

interface RawLine {
  custom_id?: unknown;
  response?: { status_code?: unknown; body?: unknown } | null;
  error?: { message?: unknown; code?: unknown } | null;
}

interface ChatBody {
  choices?: { message?: { content?: unknown } }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  error?: { message?: unknown };
}

/**
 * Reads the lines of a batch output or error file (JSONL: custom_id, response
 * {status_code, body}, error) as they arrive. A line answered 200 with a choice is a
 * completion; anything else is an error line, kept with the provider's message. Lines
 * without a custom_id evalq wrote are skipped: they name no claim.
 */
export async function* readBatchResults(
  lines: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<BatchResultLine> {
  for await (const text of lines) {
    const result = parseResultLine(text);
    if (result) yield result;
  }
}

function parseResultLine(text: string): BatchResultLine | undefined {
  if (text.trim() === '') return undefined;
  let line: RawLine;
  try {
    line = JSON.parse(text) as RawLine;
  } catch {
    return undefined;
  }
  const claim = typeof line.custom_id === 'string' ? parseCustomId(line.custom_id) : undefined;
  if (!claim) return undefined;
  const body = line.response?.body as ChatBody | undefined;
  const content = body?.choices?.[0]?.message?.content;
  if (line.response?.status_code === 200 && !line.error && body?.choices?.[0]) {
    const usage = body.usage;
    return {
      ...claim,
      ok: true,
      completion: {
        text: typeof content === 'string' ? content : '',
        ...(typeof usage?.prompt_tokens === 'number' ? { promptTokens: usage.prompt_tokens } : {}),
        ...(typeof usage?.completion_tokens === 'number'
          ? { completionTokens: usage.completion_tokens }
          : {}),
      },
    };
  }
  const message =
    (typeof line.error?.message === 'string' && line.error.message) ||
    (typeof body?.error?.message === 'string' && body.error.message) ||
    `status ${typeof line.response?.status_code === 'number' ? line.response.status_code : 'unknown'}`;
  return { ...claim, ok: false, error: message };
}
