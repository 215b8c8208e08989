import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { getDataset, getPrompts, modelNames, type Database } from '@evalq/db';
import { toProgress } from '../progress.js';
import { presentRunListItem } from '../runs/present-run.js';
import { promptLabel } from '../runs/run-summary.js';
import type { RunView } from '../runs/run-view.js';
import type { sharedRun } from '../schemas/share.js';

/**
 * A run as a share link shows it. Built field by field from what may be shown (names,
 * progress, results): nothing of a model but its name, so no config, key variable
 * name or base URL can slip through.
 */
export async function presentSharedRun(
  db: Kysely<Database>,
  view: RunView,
  expiresAt: Date,
): Promise<z.input<typeof sharedRun>> {
  const { run, candidates } = view;
  const item = presentRunListItem(run);
  const [dataset, names, prompts] = await Promise.all([
    getDataset(db, run.dataset_id),
    modelNames(db, run.model_ids),
    getPrompts(db, run.prompt_ids),
  ]);
  const promptById = new Map(prompts.map((p) => [p.prompt_id, p]));
  return {
    run: {
      name: item.name,
      status: item.status,
      progress: item.progress,
      created_at: item.created_at,
      started_at: item.started_at,
      completed_at: item.completed_at,
      canceled_at: item.canceled_at,
    },
    dataset: {
      name: dataset?.name ?? `dataset ${run.dataset_id}`,
      row_count: dataset?.row_count ?? 0,
    },
    candidates: candidates.map(({ model_id, prompt_id, job }) => {
      const prompt = promptById.get(prompt_id);
      const progress = job && toProgress(job);
      return {
        model_id,
        prompt_id,
        model_name: names.get(model_id) ?? null,
        prompt_label: prompt ? promptLabel(prompt) : `prompt ${prompt_id}`,
        prompt_text: prompt?.text ?? null,
        job: progress
          ? {
              status: progress.status,
              total: progress.total,
              done: progress.done,
              failed: progress.failed,
              percent: progress.percent,
              accuracy: progress.accuracy,
            }
          : null,
      };
    }),
    summary: view.summary,
    expires_at: expiresAt.toISOString(),
  };
}
