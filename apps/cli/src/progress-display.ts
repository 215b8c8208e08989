import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Progress } from '@evalq/api/types';
import { batchPhaseText } from './batch-phase.js';
import { say } from './output.js';
import { count, duration, percent } from './table.js';

/** One line of a live view: a job, or a whole run. */
export interface ProgressLine {
  name: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  percent: number;
  accuracy: number | null;
  rate_per_s: number | null;
  eta_s: number | null;
  /** A batch job's phase: shown instead of the ETA while its batches are out. */
  batch?: Progress['batch'];
}

/** Seconds between progress lines per item when output is not a terminal. */
const LINE_INTERVAL_MS = 2000;
const FINISHED = new Set(['done', 'completed', 'canceled']);

/**
 * Live progress on the terminal: a bar per item (cli-progress) when stderr is a
 * terminal, otherwise a line per change, at most every two seconds per item (logs, CI,
 * pipes).
 */
export class ProgressDisplay {
  private readonly bars: MultiBar | undefined;
  private readonly barOf = new Map<string, SingleBar>();
  private readonly lastLine = new Map<
    string,
    { at: number; done: number; status: string; phase: string }
  >();

  constructor(
    interactive: boolean,
    private readonly nameWidth: number,
  ) {
    this.bars = interactive
      ? new MultiBar(
          {
            format:
              ' {job} {bar} {percentage}% | {value}/{total} | failed {failed} | acc {accuracy} | {rate}/s | ETA {eta_text}',
            hideCursor: true,
            clearOnComplete: false,
            stopOnComplete: false,
            autopadding: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  }

  show(key: string, item: ProgressLine): void {
    const phase = FINISHED.has(item.status) ? '' : batchPhaseText(item.batch);
    if (this.bars) {
      const payload = {
        job: item.name.padEnd(this.nameWidth),
        failed: count(item.failed),
        accuracy: percent(item.accuracy) || '-',
        rate: item.rate_per_s === null ? '-' : item.rate_per_s.toFixed(1),
        eta_text: FINISHED.has(item.status) ? item.status : phase || duration(item.eta_s) || '-',
      };
      let bar = this.barOf.get(key);
      if (!bar) {
        bar = this.bars.create(Math.max(item.total, 1), item.done, payload);
        this.barOf.set(key, bar);
      }
      bar.setTotal(Math.max(item.total, 1));
      bar.update(item.done, payload);
      return;
    }
    const previous = this.lastLine.get(key);
    const now = Date.now();
    const changed =
      !previous ||
      previous.done !== item.done ||
      previous.status !== item.status ||
      previous.phase !== phase;
    const due =
      !previous || now - previous.at >= LINE_INTERVAL_MS || item.status !== previous.status;
    if (!changed || !due) return;
    this.lastLine.set(key, { at: now, done: item.done, status: item.status, phase });
    say(
      `${item.name}: ${item.status} ${count(item.done)}/${count(item.total)} (${item.percent}%)` +
        `, failed ${count(item.failed)}` +
        (item.accuracy === null ? '' : `, accuracy ${percent(item.accuracy)}`) +
        (phase
          ? `, ${phase}`
          : !FINISHED.has(item.status) && item.eta_s !== null
            ? `, ETA ${duration(item.eta_s)}`
            : ''),
    );
  }

  log(message: string): void {
    if (this.bars) this.bars.log(`${message}\n`);
    else say(message);
  }

  stop(): void {
    this.bars?.stop();
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
