import type { Kysely } from 'kysely';
import { pairedVerdicts, type Candidate, type Database } from '@evalq/db';
import { comparePaired, type PairedComparison } from '@evalq/statistics';

/**
 * Compares two candidates on the rows where both have a graded successful prediction:
 * one SQL pass over the pairs, then the tests on its compact result (docs/grading.md).
 */
export async function compareCandidates(
  db: Kysely<Database>,
  datasetId: number,
  a: Candidate,
  b: Candidate,
): Promise<PairedComparison> {
  const groups = await pairedVerdicts(db, datasetId, a, b);
  const verdicts = { both: 0, a_only: 0, b_only: 0, neither: 0 };
  for (const group of groups) {
    verdicts.both += group.both;
    verdicts.a_only += group.a_only;
    verdicts.b_only += group.b_only;
    verdicts.neither += group.neither;
  }
  const differences = groups.map((group) => ({
    value: group.diff,
    count: group.both + group.a_only + group.b_only + group.neither,
  }));
  return comparePaired(verdicts, differences);
}

const candidateName = (c: Candidate) => `model ${c.model_id} × prompt ${c.prompt_id}`;

/**
 * "model 1 × prompt 2 wins on 37 rows, loses on 12: significant, p = 0.00044"; `name`
 * says how a candidate is called (by ids unless the caller knows names).
 */
export function describeComparison<C extends Candidate>(
  a: C,
  b: C,
  result: PairedComparison,
  name: (candidate: C) => string = candidateName,
): string {
  if (result.n_paired === 0) return 'no row has a graded successful prediction from both';
  const aLeads =
    result.winner === 'a' || (result.winner === null && result.a_only >= result.b_only);
  const [leader, wins, losses] = aLeads
    ? [a, result.a_only, result.b_only]
    : [b, result.b_only, result.a_only];
  const p = Number(result.mcnemar_p.toPrecision(2));
  return (
    `${name(leader)} wins on ${wins} rows, loses on ${losses} ` +
    `(of ${result.n_paired} paired): ${result.winner ? 'significant' : 'not significant'}, p = ${p}`
  );
}
