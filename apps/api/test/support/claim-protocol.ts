import type { JobKey } from '@evalq/core';
import {
  claimRows as claimJobRows,
  finishRows as finishClaims,
  type ClaimedRow,
  type FinishResult,
} from '@evalq/db';
import { compileAssertions, gradeLocally } from '@evalq/grading';
import { compilePrompt } from '@evalq/providers';
import type { TestDatabase } from '@evalq/testing';

/**
 * Moves a job's rows through the worker's own claim protocol
 * (packages/db/src/queries/claims.ts: claimRows, then finishRows with its fencing check),
 * with answers the test chooses instead of a model call.
 */

/** The worker id the tests' claims carry. */
const TEST_WORKER_ID = 'test-worker';

/** Claims up to `count` pending rows of a job, in row order, as a worker does (with their variables). */
export function claimRows(t: TestDatabase, key: JobKey, count: number): Promise<ClaimedRow[]> {
  return claimJobRows(t.db, key, count, TEST_WORKER_ID, true);
}

export interface FinishOptions {
  outcome?: 'success' | 'failed';
  /** The model's answer per row; by default the row's gold label (a correct answer). */
  answer?: (row: { row_id: number; expected_prediction: string }) => string;
  promptTokens?: number | null;
  seconds?: number;
  /** A failed call's error and its kind (a kind such as `auth` can pause the job: docs/cost.md). */
  error?: { message: string; kind: string };
  /** What each call cost, USD. */
  costUsd?: number;
}

/**
 * Stores a result for each claim through the worker's finish statement: the prompt is
 * rendered for the row from the job's prompt, a failed call stores an empty answer and
 * its error, and a successful answer is graded as a worker grades it, with the job's
 * assertions (packages/grading), its verdict stored with it.
 */
export async function finishRows(
  t: TestDatabase,
  key: JobKey,
  claims: readonly ClaimedRow[],
  options: FinishOptions = {},
): Promise<FinishResult> {
  if (claims.length === 0) return { finished: [], inserted: 0 };
  const prompt = compilePrompt(
    await t.db
      .selectFrom('prompts')
      .select(['type', 'text', 'messages'])
      .where('prompt_id', '=', key.prompt_id)
      .executeTakeFirstOrThrow(),
  );
  const outcome = options.outcome ?? 'success';
  const answer = options.answer ?? ((row) => row.expected_prediction);
  const job = await t.db
    .selectFrom('modelpromptstatus')
    .select(['assertions', 'threshold', 'grading_version'])
    .where('model_id', '=', key.model_id)
    .where('prompt_id', '=', key.prompt_id)
    .where('dataset_id', '=', key.dataset_id)
    .executeTakeFirstOrThrow();
  const compiled = compileAssertions(job.assertions, job.threshold);
  const seconds = options.seconds ?? 0.05;
  return finishClaims(
    t.db,
    TEST_WORKER_ID,
    claims.map((claim) => {
      const expected = claim.expected_prediction;
      const variables = claim.input ?? {};
      const row = { content: claim.content, expected, input: variables };
      const prediction =
        outcome === 'failed' ? '' : answer({ row_id: claim.row_id, expected_prediction: expected });
      const verdict =
        outcome === 'failed'
          ? { passed: null, score: null, grading: null }
          : gradeLocally(compiled, {
              output: prediction,
              expected,
              content: claim.content,
              variables,
              latency_s: seconds,
            });
      return {
        ...key,
        row_id: claim.row_id,
        claim_attempt: claim.claim_attempt,
        prediction,
        passed: verdict.passed,
        score: verdict.score,
        grading: verdict.grading === null ? null : JSON.stringify(verdict.grading),
        grading_version: job.grading_version,
        prediction_time: seconds,
        status: outcome,
        formatted_prompt: prompt.render(row).formatted,
        error: outcome === 'failed' ? (options.error?.message ?? 'HTTP 500 from provider') : null,
        error_kind: outcome === 'failed' ? (options.error?.kind ?? null) : null,
        attempts: 1,
        prompt_tokens: options.promptTokens ?? null,
        completion_tokens: options.promptTokens == null ? null : 1,
        cost_usd: options.costUsd ?? null,
      };
    }),
  );
}

/** Claims and finishes `count` rows of a job in one go; returns the claimed row ids. */
export async function processRows(
  t: TestDatabase,
  key: JobKey,
  count: number,
  options: FinishOptions = {},
): Promise<number[]> {
  const claims = await claimRows(t, key, count);
  const { finished } = await finishRows(t, key, claims, options);
  if (finished.length !== claims.length) {
    throw new Error(
      `the fencing check refused ${claims.length - finished.length} of this test's claims`,
    );
  }
  return claims.map((claim) => claim.row_id).sort((a, b) => a - b);
}
