import { distance } from 'fastest-levenshtein';
import type { CheckOutcome } from '../grading-subject.js';

/**
 * Longest text compared. The distance takes time proportional to the product of the
 * lengths (÷ 32, bit-parallel): about 80 ms at this size. A longer pair fails with
 * score 0 and says why, rather than hold up a worker.
 */
export const SIMILAR_MAX_LENGTH = 50_000;

/**
 * similarity = 1 − Levenshtein distance ÷ the longer length, on trimmed, lower-cased
 * texts (1 for two empty texts). The score is the similarity.
 */
export function checkSimilar(output: string, value: string, threshold: number): CheckOutcome {
  const a = output.trim().toLowerCase();
  const b = value.trim().toLowerCase();
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return { pass: true, score: 1, reason: 'similarity 1 (both empty)' };
  if (longer > SIMILAR_MAX_LENGTH) {
    return {
      pass: false,
      score: 0,
      reason: `longer than ${SIMILAR_MAX_LENGTH} characters: not compared`,
    };
  }
  const similarity = 1 - distance(a, b) / longer;
  return {
    pass: similarity >= threshold,
    score: similarity,
    reason: `similarity ${Math.round(similarity * 1000) / 1000} ${similarity >= threshold ? '≥' : '<'} ${threshold}`,
  };
}
