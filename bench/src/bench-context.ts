import type { BenchStack } from './bench-stack.js';
import type { ChildService } from './child-service.js';
import type { EvalqApi } from './evalq-api.js';
import type { BenchSizes } from './sizes.js';

/** One line of the printed table. */
export interface ResultLine {
  id: string;
  scenario: string;
  measured: string;
  target: string;
  met: boolean | undefined;
}

/** What every scenario gets: the run's stack, the API that drives it, the sizes, the report. */
export interface BenchContext {
  stack: BenchStack;
  api: EvalqApi;
  /** The API process every scenario drives (its peak RSS is reported at the end). */
  apiProcess: ChildService;
  /** The highest peak RSS of any worker so far (runJob keeps it), MB. */
  peakRssMb: { workers: number };
  sizes: BenchSizes;
  /** Figures for the JSON line, by key (T1, T2, …, and extra keys). */
  figures: Record<string, unknown>;
  lines: ResultLine[];
  /** Progress for the person watching (stderr). */
  say(message: string): void;
}

export const round = (value: number, digits = 2): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};
