import { quote, type CheckOutcome } from './grading-subject.js';
import { normalizeLabel } from './normalize-label.js';

/** A judge reply that cannot be read: the prediction stays ungraded, with this reason. */
export class UnreadableJudgeReply extends Error {}

/**
 * Reads a label judge's reply: trimmed and case-insensitive, it must be one of
 * `labels`, and passes when it is one of `passLabels`.
 */
export function readLabelReply(
  reply: string,
  labels: readonly string[],
  passLabels: readonly string[],
): CheckOutcome {
  const answer = normalizeLabel(reply);
  if (!labels.some((label) => normalizeLabel(label) === answer)) {
    throw new UnreadableJudgeReply(
      `the judge answered ${quote(reply.trim())}, which is none of the labels ${labels.join(', ')}`,
    );
  }
  const pass = passLabels.some((label) => normalizeLabel(label) === answer);
  return { pass, score: pass ? 1 : 0, reason: `judge: ${answer}` };
}

/**
 * Reads a JSON judge's reply: it must hold a JSON object {"pass": bool, "score"?:
 * 0..1, "reason"?: string}, alone or inside other text (a fenced block, a sentence
 * before it). The score defaults to 1 for a pass and 0 otherwise.
 */
export function readJsonReply(reply: string): CheckOutcome {
  const verdict = parseObject(reply);
  if (!verdict || typeof verdict.pass !== 'boolean') {
    throw new UnreadableJudgeReply(
      `the judge's reply holds no JSON object with a boolean "pass": ${quote(reply.trim(), 200)}`,
    );
  }
  const { pass, score, reason } = verdict;
  if (score !== undefined && (typeof score !== 'number' || !(score >= 0 && score <= 1))) {
    throw new UnreadableJudgeReply(
      `the judge's "score" is not a number from 0 to 1: ${quote(JSON.stringify(score))}`,
    );
  }
  return {
    pass,
    score: typeof score === 'number' ? score : pass ? 1 : 0,
    ...(typeof reason === 'string' && reason !== '' ? { reason: reason.slice(0, 2_000) } : {}),
  };
}

function parseObject(reply: string): Record<string, unknown> | undefined {
  const candidates = [reply.trim()];
  const first = reply.indexOf('{');
  const last = reply.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(reply.slice(first, last + 1));
  for (const candidate of candidates) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // not this candidate
    }
  }
  return undefined;
}
