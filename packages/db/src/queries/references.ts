/** `2 jobs and 1 prompt` from `{ jobs: 2, prompts: 1, predictions: 0 }`; empty when nothing refers. */
export function describeReferences(counts: Record<string, number | null>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([what, n]) => `${n} ${n === 1 ? what.replace(/s$/, '') : what}`);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}
