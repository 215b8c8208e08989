/**
 * A job is one row of `modelpromptstatus`: one model × one prompt × one dataset.
 * The triple is its identity everywhere: in SQL, in the API path, in logs.
 */
export interface JobKey {
  model_id: number;
  prompt_id: number;
  dataset_id: number;
}

/** `3/7/2` — the form used in API paths and log lines. */
export function formatJobKey(key: JobKey): string {
  return `${key.model_id}/${key.prompt_id}/${key.dataset_id}`;
}
