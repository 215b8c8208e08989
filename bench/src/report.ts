import type { ResultLine } from './bench-context.js';

/** The readable table: one line per target, widths fitted to the content. */
export function formatTable(lines: ResultLine[]): string {
  const header = ['id', 'scenario', 'measured', 'target', 'met'];
  const cells = lines.map((line) => [
    line.id,
    line.scenario,
    line.measured,
    line.target,
    line.met === undefined ? '-' : line.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((row) => row[i]!.length)),
  );
  const render = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(render)].join(
    '\n',
  );
}
