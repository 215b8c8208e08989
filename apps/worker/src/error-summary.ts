/**
 * What a log line keeps of an error: its type, message and code, and the stack only
 * for what looks like a bug. A node-postgres error carries its whole client object,
 * and an ioredis error its command; neither belongs in a log line (nor could a secret
 * hide in one). The cause's message is kept when it adds something.
 */
export function errorSummary(thrown: unknown): Record<string, unknown> {
  if (!(thrown instanceof Error)) return { message: String(thrown) };
  const summary: Record<string, unknown> = { type: thrown.name, message: thrown.message };
  const code = (thrown as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') summary.code = code;
  const cause = thrown.cause;
  if (cause instanceof Error && cause.message && cause.message !== thrown.message) {
    summary.cause = cause.message;
  }
  const expected =
    typeof code === 'string' || /^(ReplyError|AbortError|DatabaseError)$/.test(thrown.name);
  if (!expected && thrown.stack) summary.stack = thrown.stack;
  return summary;
}
