import type { z } from 'zod';
import { promptVariables } from './launch/prompt-variables.js';
import type { Dataset, LeaderboardEntry, Model, PredictionRecord, Prompt, Row } from '@evalq/db';
import { accuracy } from './accuracy.js';
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
  return { ...record, created_at: record.created_at.toISOString() };
}

export function presentLeaderboardEntry({
  done,
  ...entry
}: LeaderboardEntry): z.input<typeof leaderboardEntry> {
  return {
    ...entry,
    n: done,
    accuracy: accuracy(entry.correct, entry.succeeded),
  };
}
