import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { datasetLeaderboard, getPrompts, type Database, type RunCandidate } from '@evalq/db';
import { presentLeaderboardEntry } from '../presenters.js';
import type { runSummary } from '../schemas/runs.js';

export type RunSummary = z.input<typeof runSummary>;
type Row = RunSummary['leaderboard'][number];

/** `name@version`, or `prompt <id>` for an unnamed prompt. */
export function promptLabel(prompt: {
  prompt_id: number;
  name: string | null;
  version: number | null;
}): string {
  return prompt.name === null ? `prompt ${prompt.prompt_id}` : `${prompt.name}@${prompt.version}`;
}

function compare(a: Row, b: Row, shared: 'prompt' | 'model'): RunSummary['comparisons'][number] {
  const difference =
    a.accuracy === null || b.accuracy === null
      ? null
      : Math.round((a.accuracy - b.accuracy) * 1e6) / 1e6;
  return {
    a: { model_id: a.model_id, prompt_id: a.prompt_id },
    b: { model_id: b.model_id, prompt_id: b.prompt_id },
    shared,
    a_accuracy: a.accuracy,
    b_accuracy: b.accuracy,
    difference,
    winner: difference === null || difference === 0 ? null : difference > 0 ? 'a' : 'b',
  };
}

/** Each prompt's model with the highest accuracy; null when tied or nothing succeeded. */
function bestModelPerPrompt(rows: readonly Row[]): RunSummary['winners'] {
  const promptIds = [...new Set(rows.map((row) => row.prompt_id))].sort((x, y) => x - y);
  return promptIds.map((promptId) => {
    const scored = rows.filter((row) => row.prompt_id === promptId && row.accuracy !== null);
    const best = Math.max(...scored.map((row) => row.accuracy!));
    const top = scored.filter((row) => row.accuracy === best);
    return { prompt_id: promptId, model_id: top.length === 1 ? top[0]!.model_id : null };
  });
}

/**
 * The results of a completed run: its candidates' leaderboard, the comparison of every
 * two candidates that share a prompt (models compared) or a model (prompts compared),
 * and each prompt's best model. Ranked by accuracy (correct / succeeded) until the
 * grading statistics (pass rates, paired tests) take this module's place.
 */
export async function buildRunSummary(
  db: Kysely<Database>,
  datasetId: number,
  candidates: readonly RunCandidate[],
): Promise<RunSummary> {
  const wanted = new Set(candidates.map((c) => `${c.model_id}/${c.prompt_id}`));
  const entries = (await datasetLeaderboard(db, datasetId)).filter((entry) =>
    wanted.has(`${entry.model_id}/${entry.prompt_id}`),
  );
  const prompts = new Map(
    (await getPrompts(db, [...new Set(candidates.map((c) => c.prompt_id))])).map((p) => [
      p.prompt_id,
      p,
    ]),
  );
  const rows: Row[] = entries.map((entry) => {
    const presented = presentLeaderboardEntry(entry);
    const prompt = prompts.get(entry.prompt_id);
    return {
      model_id: entry.model_id,
      prompt_id: entry.prompt_id,
      model_name: entry.model_name,
      prompt_label: prompt ? promptLabel(prompt) : `prompt ${entry.prompt_id}`,
      n: entry.done,
      succeeded: entry.succeeded,
      failed: entry.failed,
      accuracy: presented.accuracy,
      latency_p50_s: entry.latency_p50_s,
      latency_p95_s: entry.latency_p95_s,
      prompt_tokens: entry.prompt_tokens,
      completion_tokens: entry.completion_tokens,
      round_table_winner: false,
    };
  });
  const winners = bestModelPerPrompt(rows);
  for (const row of rows) {
    row.round_table_winner = winners.some(
      (w) => w.prompt_id === row.prompt_id && w.model_id === row.model_id,
    );
  }
  const comparisons: RunSummary['comparisons'] = [];
  rows.forEach((a, i) => {
    for (const b of rows.slice(i + 1)) {
      if (a.prompt_id === b.prompt_id) comparisons.push(compare(a, b, 'prompt'));
      else if (a.model_id === b.model_id) comparisons.push(compare(a, b, 'model'));
    }
  });
  return { basis: 'accuracy', leaderboard: rows, comparisons, winners };
}
