import type { z } from 'zod';
import type { RunRecord } from '@evalq/db';
import { toProgress } from '../progress.js';
import type { run, runListItem, runProgress } from '../schemas/runs.js';
import { presentRunCost } from './run-cost.js';
import type { RunView } from './run-view.js';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** A run's aggregated progress; percent as the jobs' progress objects round it. */
export function presentRunProgress(record: RunRecord): z.input<typeof runProgress> {
  const percent =
    record.total > 0
      ? Math.min(Math.round((record.done / record.total) * 10_000) / 100, 100)
      : record.status === 'completed'
        ? 100
        : 0;
  return { total: record.total, done: record.done, failed: record.failed, percent };
}

export function presentRunListItem(record: RunRecord): z.input<typeof runListItem> {
  return {
    id: record.id,
    name: record.name,
    dataset_id: record.dataset_id,
    model_ids: record.model_ids,
    prompt_ids: record.prompt_ids,
    status: record.status,
    progress: presentRunProgress(record),
    assertions: record.assertions,
    threshold: record.threshold,
    created_at: record.created_at.toISOString(),
    started_at: iso(record.started_at),
    completed_at: iso(record.completed_at),
    canceled_at: iso(record.canceled_at),
  };
}

export function presentRun(view: RunView): z.input<typeof run> {
  return {
    ...presentRunListItem(view.run),
    jobs: view.candidates.map((candidate) => ({
      model_id: candidate.model_id,
      prompt_id: candidate.prompt_id,
      job: candidate.job ? toProgress(candidate.job) : null,
    })),
    cost: presentRunCost(
      view.run,
      view.candidates.flatMap((candidate) => (candidate.job ? [candidate.job] : [])),
    ),
    summary: view.summary,
  };
}
