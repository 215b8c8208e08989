import type { Kysely } from 'kysely';
import type { z } from 'zod';
import {
  datasetLeaderboard,
  getPrompts,
  type Database,
  type RunCandidate,
  type RunRecord,
} from '@evalq/db';
import { presentRunCost } from './run-cost.js';
import type { runSummary } from '../schemas/runs.js';
import { compareCandidates, describeComparison } from '../statistics/compare-candidates.js';
import { rankedLeaderboard, type RankedEntry } from '../statistics/ranked-leaderboard.js';

export type RunSummary = z.input<typeof runSummary>;
type Entry = RunSummary['leaderboard'][number];
type Comparison = RunSummary['comparisons'][number];

/** `name@version`, or `prompt <id>` for an unnamed prompt. */
export function promptLabel(prompt: {
  prompt_id: number;
  name: string | null;
  version: number | null;
}): string {
  return prompt.name === null ? `prompt ${prompt.prompt_id}` : `${prompt.name}@${prompt.version}`;
}

/** Comparisons run a few at a time: each is one pass over two jobs' predictions. */
const COMPARE_CONCURRENCY = 4;

const nameOf = (entry: Entry) => `${entry.model_name} × ${entry.prompt_label}`;

/** Every two candidates that share a prompt (models compared) or a model (prompts compared). */
function comparedPairs(entries: readonly Entry[]): [Entry, Entry, 'prompt' | 'model'][] {
  const pairs: [Entry, Entry, 'prompt' | 'model'][] = [];
  entries.forEach((a, i) => {
    for (const b of entries.slice(i + 1)) {
      if (a.prompt_id === b.prompt_id) pairs.push([a, b, 'prompt']);
      else if (a.model_id === b.model_id) pairs.push([a, b, 'model']);
    }
  });
  return pairs;
}

async function comparePairs(
  db: Kysely<Database>,
  datasetId: number,
  pairs: readonly [Entry, Entry, 'prompt' | 'model'][],
): Promise<Comparison[]> {
  const comparisons: Comparison[] = [];
  for (let from = 0; from < pairs.length; from += COMPARE_CONCURRENCY) {
    const batch = pairs.slice(from, from + COMPARE_CONCURRENCY);
    comparisons.push(
      ...(await Promise.all(
        batch.map(async ([a, b, shared]) => {
          const result = await compareCandidates(db, datasetId, a, b);
          return {
            a: { model_id: a.model_id, prompt_id: a.prompt_id },
            b: { model_id: b.model_id, prompt_id: b.prompt_id },
            shared,
            ...result,
            verdict: describeComparison(a, b, result, nameOf),
          };
        }),
      )),
    );
  }
  return comparisons;
}

/** Each prompt's round-table winner (marked in the leaderboard), or null when none wins. */
function winnersPerPrompt(entries: readonly RankedEntry[]): RunSummary['winners'] {
  const promptIds = [...new Set(entries.map((entry) => entry.prompt_id))].sort((x, y) => x - y);
  return promptIds.map((promptId) => ({
    prompt_id: promptId,
    model_id:
      entries.find((entry) => entry.prompt_id === promptId && entry.round_table_winner)?.model_id ??
      null,
  }));
}

/**
 * The results of a completed run, by the same statistics as the dataset's leaderboard
 * and GET /v1/compare (apps/api/src/statistics/): its candidates' leaderboard (pass
 * rate, Wilson interval, mean score, failed, ungraded; best pass rate first), the paired
 * comparison of every two candidates that share a prompt or a model, and each prompt's
 * round-table winner among the run's candidates (docs/grading.md).
 */
export async function buildRunSummary(
  db: Kysely<Database>,
  run: Pick<RunRecord, 'dataset_id' | 'max_cost_usd' | 'max_tokens' | 'cache'>,
  candidates: readonly RunCandidate[],
): Promise<RunSummary> {
  const datasetId = run.dataset_id;
  const wanted = new Set(candidates.map((c) => `${c.model_id}/${c.prompt_id}`));
  const entries = (await datasetLeaderboard(db, datasetId)).filter((entry) =>
    wanted.has(`${entry.model_id}/${entry.prompt_id}`),
  );
  const [ranked, prompts] = await Promise.all([
    rankedLeaderboard(db, datasetId, entries),
    getPrompts(db, [...new Set(candidates.map((c) => c.prompt_id))]),
  ]);
  const promptById = new Map(prompts.map((p) => [p.prompt_id, p]));
  const leaderboard: Entry[] = ranked.map((entry) => {
    const prompt = promptById.get(entry.prompt_id);
    return { ...entry, prompt_label: prompt ? promptLabel(prompt) : `prompt ${entry.prompt_id}` };
  });
  return {
    leaderboard,
    comparisons: await comparePairs(db, datasetId, comparedPairs(leaderboard)),
    cost: presentRunCost(
      run,
      candidates.flatMap((candidate) => (candidate.job ? [candidate.job] : [])),
    ),
    winners: winnersPerPrompt(ranked),
  };
}
