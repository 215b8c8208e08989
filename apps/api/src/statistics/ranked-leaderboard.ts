import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database, LeaderboardEntry } from '@evalq/db';
import { presentLeaderboardEntry } from '../presenters.js';
import type { leaderboardEntry } from '../schemas/predictions.js';
import { candidateKey, roundTableWinners } from './round-table.js';

export type RankedEntry = z.input<typeof leaderboardEntry>;

/**
 * Candidates of one dataset as a leaderboard shows them: pass rate with its Wilson
 * interval, mean score, failed, ungraded, and each prompt's round-table winner marked
 * among these candidates (docs/grading.md). The dataset's leaderboard passes all of its
 * candidates, a run's summary its own.
 */
export async function rankedLeaderboard(
  db: Kysely<Database>,
  datasetId: number,
  entries: readonly LeaderboardEntry[],
): Promise<RankedEntry[]> {
  const winners = await roundTableWinners(db, datasetId, entries);
  return entries.map((entry) => presentLeaderboardEntry(entry, winners.has(candidateKey(entry))));
}
