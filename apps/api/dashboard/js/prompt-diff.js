/**
 * A line diff of two prompt versions, by longest common subsequence (dynamic
 * programming over the lines left after the common start and end are set aside).
 * Prompts are short, so this is plenty; past MAX_CELLS line pairs the middle is shown
 * as removed then added, which is still a correct (if not minimal) diff.
 */

const MAX_CELLS = 4_000_000;

/** A prompt as lines: a text prompt's text; a chat prompt's messages, each under "[role]". */
export function promptLines(prompt) {
  if (prompt.type === 'chat' && Array.isArray(prompt.messages)) {
    return prompt.messages.flatMap((m) => [`[${m.role}]`, ...m.content.split('\n')]);
  }
  return prompt.text.split('\n');
}

/** [{ op: ' ' | '-' | '+', text }]: how `before` becomes `after`, line by line. */
export function lineDiff(before, after) {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) {
    start += 1;
  }
  let endA = before.length;
  let endB = after.length;
  while (endA > start && endB > start && before[endA - 1] === after[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const same = (lines) => lines.map((text) => ({ op: ' ', text }));
  return [
    ...same(before.slice(0, start)),
    ...middleDiff(before.slice(start, endA), after.slice(start, endB)),
    ...same(before.slice(endA)),
  ];
}

function middleDiff(a, b) {
  const removed = a.map((text) => ({ op: '-', text }));
  const added = b.map((text) => ({ op: '+', text }));
  if (a.length === 0 || b.length === 0 || (a.length + 1) * (b.length + 1) > MAX_CELLS) {
    return [...removed, ...added];
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..], in one flat array.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i] });
      i += 1;
      j += 1;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      out.push({ op: '-', text: a[i] });
      i += 1;
    } else {
      out.push({ op: '+', text: b[j] });
      j += 1;
    }
  }
  return [...out, ...removed.slice(i), ...added.slice(j)];
}
