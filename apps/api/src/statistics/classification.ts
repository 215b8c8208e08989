import type { Kysely } from 'kysely';
import { ValidationError } from '@evalq/core';
import { datasetLabels, labelPairs, type Candidate, type Database } from '@evalq/db';
import { normalizeLabel } from '@evalq/grading';
import { classificationReport, type ClassificationReport } from '@evalq/statistics';

/** More distinct gold labels than this: not a classification dataset. */
export const MAX_LABELS = 100;
/** Distinct (label, output) pairs read at most; outputs beyond are free text, not labels. */
const MAX_PAIRS = 100_000;

/**
 * A candidate's classification report. Labels and outputs are normalized as `equals`
 * normalizes them (packages/grading's normalizeLabel), so a row is right here exactly
 * when `equals` passes it.
 */
export async function classificationReportOf(
  db: Kysely<Database>,
  datasetId: number,
  candidate: Candidate,
): Promise<ClassificationReport> {
  const labels = new Set((await datasetLabels(db, datasetId, MAX_LABELS * 20)).map(normalizeLabel));
  if (labels.size > MAX_LABELS) {
    throw new ValidationError(
      `dataset ${datasetId} has more than ${MAX_LABELS} distinct expected labels: not a classification dataset`,
      [{ path: 'params.dataset_id', message: `more than ${MAX_LABELS} distinct expected labels` }],
    );
  }
  const pairs = await labelPairs(db, datasetId, candidate, MAX_PAIRS + 1);
  if (pairs.length > MAX_PAIRS) {
    throw new ValidationError(
      `the outputs of ${candidate.model_id}/${candidate.prompt_id} are free text (more than ${MAX_PAIRS} distinct label × output pairs), not labels`,
      [{ path: 'querystring.model_id', message: 'outputs are not labels' }],
    );
  }
  const merged = new Map<string, { expected: string; predicted: string; count: number }>();
  for (const pair of pairs) {
    const expected = normalizeLabel(pair.expected);
    const predicted = normalizeLabel(pair.predicted);
    const id = JSON.stringify([expected, predicted]);
    const entry = merged.get(id) ?? { expected, predicted, count: 0 };
    entry.count += pair.count;
    merged.set(id, entry);
  }
  return classificationReport([...merged.values()]);
}
