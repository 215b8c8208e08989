/**
 * Rows as aligned text columns, for a terminal. Numbers are right-aligned; values
 * are shown on one line (line breaks as ⏎) and cut to `maxWidth`.
 */
export function formatTable(
  headers: string[],
  rows: (string | number | null | undefined)[][],
  maxWidth = 60,
): string {
  const cells = rows.map((row) =>
    row.map((value) => {
      const text =
        value === null || value === undefined ? '' : String(value).replace(/\r?\n/g, '⏎');
      return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
    }),
  );
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((row) => row[i] == null || typeof row[i] === 'number'),
  );
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** 1234567 → "1,234,567". */
export const count = (n: number) => n.toLocaleString('en-US');

/** Seconds as "42s", "3m 20s", "2h 5m". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export const percent = (ratio: number | null | undefined, digits = 1) =>
  ratio === null || ratio === undefined ? '' : `${(ratio * 100).toFixed(digits)}%`;

/** USD for a table: cents for large sums, more digits for the small ones calls cost. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (value === 0) return '$0';
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(3)}`;
}

/**
 * A job's status as a person should read it: why it is paused, and a finished job whose
 * rows all (or partly) failed never shown as a plain `done`.
 */
export function statusText(job: {
  status: string;
  outcome?: string | null;
  paused_reason?: string | null;
}): string {
  if (job.status === 'paused') return `paused (${job.paused_reason ?? 'unknown'})`;
  if (job.status === 'done' && job.outcome === 'failed') return 'FAILED (every row)';
  if (job.status === 'done' && job.outcome === 'partly_failed') return 'done (some failed)';
  return job.status;
}
