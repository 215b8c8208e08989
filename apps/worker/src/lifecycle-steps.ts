import { SECOND, withTimeout, type Logger } from '@evalq/core';
import { errorSummary } from './error-summary.js';

/** Facts a step reports for the `worker stopped` log line (e.g. `{ releasedToPending: 3 }`). */
export type StepFacts = Record<string, unknown>;

/** One step of starting the worker: a part begins its work. A failure aborts the start. */
export interface StartStep {
  name: string;
  run: () => void | Promise<void>;
}

/** One step of stopping the worker. Its failure is logged and the next step runs anyway. */
export interface StopStep {
  /** Named in the log when it fails or runs out of time. */
  name: string;
  run: () => void | StepFacts | Promise<void | StepFacts>;
  /** How long it may take before the next step runs anyway; default 10 s. */
  timeoutMs?: number;
}

export interface StopReport {
  facts: StepFacts;
  /** The steps that failed or ran out of time, in order. */
  failed: string[];
}

const DEFAULT_STEP_TIMEOUT_MS = 10 * SECOND;

/**
 * Runs the stop steps in order, each to its end or its time limit, whatever the
 * earlier ones did (as BullMQ's close() and pg-boss's stop() undo their parts). Never
 * throws: each failure is logged with its step's name and listed in the report.
 */
export async function runStopSteps(steps: readonly StopStep[], log: Logger): Promise<StopReport> {
  const report: StopReport = { facts: {}, failed: [] };
  for (const step of steps) {
    const timeoutMs = step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    try {
      const facts = await withTimeout(
        Promise.resolve().then(step.run),
        timeoutMs,
        () => new Error(`did not finish within ${timeoutMs} ms; moving on`),
      );
      if (facts) Object.assign(report.facts, facts);
    } catch (error) {
      report.failed.push(step.name);
      log.error({ err: errorSummary(error), step: step.name }, 'a stop step failed');
    }
  }
  return report;
}
