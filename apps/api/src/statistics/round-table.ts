import type { Kysely } from 'kysely';
import type { Database, LeaderboardEntry } from '@evalq/db';
import { passRate as rateOf } from '../pass-rate.js';
import { compareCandidates } from './compare-candidates.js';

const key = (entry: { model_id: number; prompt_id: number }) =>
  `${entry.model_id}/${entry.prompt_id}`;

const passRate = (entry: LeaderboardEntry) => rateOf(entry.passed, entry.succeeded, entry.ungraded);

/**
 * The round table's winners: for each prompt, the model with the highest pass rate,
 * when it beats the runner-up on that prompt with McNemar p < 0.05. A tie at the top,
 * or a single model, has no winner. Returns the winners' `model/prompt` keys.
 */
export async function roundTableWinners(
  db: Kysely<Database>,
  datasetId: number,
  entries: readonly LeaderboardEntry[],
): Promise<Set<string>> {
  const byPrompt = new Map<number, LeaderboardEntry[]>();
  for (const entry of entries) {
    if (passRate(entry) === null) continue;
    byPrompt.set(entry.prompt_id, [...(byPrompt.get(entry.prompt_id) ?? []), entry]);
  }
  const winners = new Set<string>();
  await Promise.all(
    [...byPrompt.values()].map(async (candidates) => {
      if (candidates.length < 2) return;
      const [best, runnerUp] = [...candidates].sort((x, y) => passRate(y)! - passRate(x)!);
      if (passRate(best!)! <= passRate(runnerUp!)!) return;
      const result = await compareCandidates(db, datasetId, best!, runnerUp!);
      if (result.winner === 'a') winners.add(key(best!));
    }),
  );
  return winners;
}

export { key as candidateKey };
