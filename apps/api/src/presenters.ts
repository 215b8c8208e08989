import type { z } from 'zod';
import { wilsonInterval } from '@evalq/statistics';
import type { Dataset, LeaderboardEntry, Model, PredictionRecord, Prompt, Row } from '@evalq/db';
import { promptVariables } from './launch/prompt-variables.js';
import { jobOutcome, jobSpend } from './job-spend.js';
import { passRate as rateOf } from './pass-rate.js';
import type { dataset, datasetRow } from './schemas/datasets.js';
import type { model } from './schemas/models.js';
import type { leaderboardEntry, prediction } from './schemas/predictions.js';
import type { prompt } from './schemas/prompts.js';

/** Database records as the API shows them: timestamps as ISO strings, derived fields added. */

export function presentDataset(record: Dataset): z.input<typeof dataset> {
  return {
    dataset_id: record.dataset_id,
    name: record.name,
    description: record.description,
    row_count: record.row_count,
    default_assertions: Array.isArray(record.default_assertions)
      ? (record.default_assertions as Record<string, unknown>[])
      : null,
    default_threshold: record.default_threshold,
    created_at: record.created_at.toISOString(),
  };
}

/** A row as listed under its dataset (whose id the caller knows). */
export function presentRow(record: Row, datasetId: number): z.input<typeof datasetRow> {
  return {
    row_id: record.row_id,
    dataset_id: datasetId,
    content: record.content,
    expected_prediction: record.expected_prediction,
    input: record.input,
  };
}

/** The response schema drops config keys it does not know, so nothing unexpected is echoed. */
export function presentModel(record: Model): z.input<typeof model> {
  return {
    model_id: record.model_id,
    name: record.name,
    source: record.source,
    library: record.library,
    description: record.description,
    config: record.config,
    created_at: record.created_at.toISOString(),
  };
}

export function presentPrompt(record: Prompt): z.input<typeof prompt> {
  return {
    prompt_id: record.prompt_id,
    name: record.name,
    version: record.version,
    type: record.type,
    text: record.text,
    messages: record.messages,
    labels: record.labels,
    commit_message: record.commit_message,
    model_defaults: record.model_defaults,
    variables: promptVariables(record),
    model_id: record.model_id,
    created_at: record.created_at.toISOString(),
  };
}

export function presentPrediction(record: PredictionRecord): z.input<typeof prediction> {
  return {
    ...record,
    grading: record.grading as z.input<typeof prediction>['grading'],
    created_at: record.created_at.toISOString(),
  };
}

/** A leaderboard entry with its rates, its interval and whether it wins its prompt's round table. */
export function presentLeaderboardEntry(
  entry: LeaderboardEntry,
  roundTableWinner: boolean,
): z.input<typeof leaderboardEntry> {
  const n = Math.max(entry.succeeded - entry.ungraded, 0);
  const passRate = rateOf(entry.passed, entry.succeeded, entry.ungraded);
  const spend = jobSpend(
    { spent_usd: entry.cost_usd, spent_tokens: entry.spent_tokens },
    entry.passed,
  );
  return {
    model_id: entry.model_id,
    prompt_id: entry.prompt_id,
    model_name: entry.model_name,
    prompt_text: entry.prompt_text,
    status: entry.status,
    total: entry.total,
    processed: entry.processed,
    succeeded: entry.succeeded,
    n,
    passed: entry.passed,
    pass_rate: passRate,
    pass_rate_ci95: wilsonInterval(entry.passed, n),
    mean_score: entry.mean_score,
    failed: entry.failed,
    ungraded: entry.ungraded,
    regrading: entry.regrade_remaining > 0,
    accuracy: passRate,
    correct: entry.passed,
    round_table_winner: roundTableWinner,
    latency_p50_s: entry.latency_p50_s,
    latency_p95_s: entry.latency_p95_s,
    prompt_tokens: entry.prompt_tokens,
    completion_tokens: entry.completion_tokens,
    outcome: jobOutcome(entry.status, entry.processed, entry.failed),
    cost_usd: spend.cost_usd,
    cost_per_pass_usd: spend.cost_per_pass_usd,
    spent_tokens: spend.spent_tokens,
    cached: entry.cached_hits,
  };
}
