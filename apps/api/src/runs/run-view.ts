import type { Kysely } from 'kysely';
import {
  getRun,
  runCandidates,
  saveRunSummary,
  type Database,
  type RunCandidate,
  type RunRecord,
} from '@evalq/db';
import { buildRunSummary, type RunSummary } from './run-summary.js';

/** A run with its candidates (each with its job) and, once completed, its summary. */
export interface RunView {
  run: RunRecord;
  candidates: RunCandidate[];
  summary: RunSummary | null;
}

/**
 * The state of a run's jobs that its summary depends on: their counters and verdicts
 * (a regrade changes them), and the summary's shape (`SUMMARY_FORMAT`: a summary kept by
 * an older version is computed again).
 */
function summaryBasis(candidates: readonly RunCandidate[]): string {
  return JSON.stringify([
    SUMMARY_FORMAT,
    ...candidates.map(({ job }) =>
      job
        ? [
            job.model_id,
            job.prompt_id,
            job.done,
            job.failed,
            job.correct,
            job.ungraded,
            job.grading_version,
            job.regrade_remaining,
            job.spent_usd,
            job.cached_hits,
          ]
        : null,
    ),
  ]);
}

/**
 * Bumped when the summary's fields change. 2: graded (pass rates, paired comparisons);
 * 3: cost and cache hit rate.
 */
const SUMMARY_FORMAT = 3;

/**
 * Loads a run for reading. The summary of a completed run is computed once and kept
 * with the state of the jobs it came from, so pollers of a finished run do not
 * recompute it; a change to a job (retried failed rows) makes it recomputed.
 */
export async function loadRunView(
  db: Kysely<Database>,
  runId: string,
): Promise<RunView | undefined> {
  const run = await getRun(db, runId);
  if (!run) return undefined;
  const candidates = await runCandidates(db, run);
  if (run.status !== 'completed') return { run, candidates, summary: null };
  const basis = summaryBasis(candidates);
  if (run.summary_of === basis && run.summary !== null) {
    return { run, candidates, summary: run.summary as RunSummary };
  }
  const summary = await buildRunSummary(db, run, candidates);
  await saveRunSummary(db, run.id, summary, basis);
  return { run, candidates, summary };
}
