import type { DatasetsTable } from './tables/datasets.js';
import type { ModelPromptStatusTable, StatusUpdateLogTable } from './tables/jobs.js';
import type { ModelsTable } from './tables/models.js';
import type { PredictionStatusTable } from './tables/prediction-status.js';
import type { PredictionsTable } from './tables/predictions.js';
import type { PromptNamesTable, PromptsTable } from './tables/prompts.js';
import type { ResponseCacheTable } from './tables/response-cache.js';
import type { RowsTable } from './tables/rows.js';
import type {
  RunJobsTable,
  RunProgressView,
  RunShareLinksTable,
  RunsTable,
} from './tables/runs.js';

/** Every table of migrations/, as Kysely sees it. */
export interface Database {
  datasets: DatasetsTable;
  models: ModelsTable;
  prompts: PromptsTable;
  prompt_names: PromptNamesTable;
  rows: RowsTable;
  modelpromptstatus: ModelPromptStatusTable;
  predictionstatus: PredictionStatusTable;
  predictions: PredictionsTable;
  status_update_log: StatusUpdateLogTable;
  runs: RunsTable;
  run_jobs: RunJobsTable;
  run_progress: RunProgressView;
  run_share_links: RunShareLinksTable;
  response_cache: ResponseCacheTable;
}
