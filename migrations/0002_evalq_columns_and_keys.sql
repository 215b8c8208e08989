-- What evalq adds to the documented tables (docs/data-model.md: columns, keys and
-- indexes may be added). Every added column is nullable or has a default.

-- Per-model settings (docs/providers.md). Holds the NAME of the environment variable
-- with the API key (api_key_env), never a key.
ALTER TABLE models
    ADD COLUMN config jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE datasets
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE prompts
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

-- Job counters, kept by the triggers so progress is read in O(1):
--   count   (documented) rows processed, failed ones included
--   total   rows the job covers, fixed when it is launched
--   failed  predictions stored with status 'failed'
--   correct successful predictions equal to the gold label (trimmed, case-insensitive)
ALTER TABLE modelpromptstatus
    ADD COLUMN total       integer NOT NULL DEFAULT 0,
    ADD COLUMN failed      integer NOT NULL DEFAULT 0,
    ADD COLUMN correct     integer NOT NULL DEFAULT 0,
    ADD COLUMN created_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN started_at  timestamptz,
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN finished_at timestamptz,
    ADD CONSTRAINT modelpromptstatus_status_check
        CHECK (status IN ('pending', 'running', 'done'));

-- The claim's fencing token: a worker may finish a row only while claimed_by and
-- attempt still hold the values its claim wrote. A reclaim makes the row pending;
-- the next claim bumps attempt, so a stale worker's finish matches nothing.
ALTER TABLE predictionstatus
    ADD COLUMN claimed_by text,
    ADD COLUMN attempt    integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT predictionstatus_status_check
        CHECK (status IN ('pending', 'in_progress', 'done'));

ALTER TABLE predictions
    ADD COLUMN error             text,
    ADD COLUMN attempts          integer NOT NULL DEFAULT 1,
    ADD COLUMN prompt_tokens     integer,
    ADD COLUMN completion_tokens integer,
    ADD COLUMN created_at        timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT predictions_status_check CHECK (status IN ('success', 'failed')),
    -- Exactly one prediction per (row, model, prompt): the database, not luck, stops a
    -- duplicate. Writers use ON CONFLICT DO NOTHING against this key.
    ADD CONSTRAINT predictions_row_model_prompt_key UNIQUE (row_id, model_id, prompt_id);

ALTER TABLE status_update_log
    ADD COLUMN previous_status varchar;

-- Seeding a job and deleting one walk a dataset's rows.
CREATE INDEX rows_dataset_idx ON rows (dataset_id, row_id);

-- The claim: the next pending rows of one job, in row order. Partial, so it only ever
-- holds rows still waiting.
CREATE INDEX predictionstatus_pending_idx
    ON predictionstatus (model_id, prompt_id, dataset_id, row_id)
    WHERE status = 'pending';

-- The reclaim: in-progress rows whose heartbeat is older than the lease.
CREATE INDEX predictionstatus_in_progress_time_idx
    ON predictionstatus (in_progress_time)
    WHERE status = 'in_progress';

-- A job's in-progress count for its progress object. Bounded by the calls in flight,
-- not by the job's size.
CREATE INDEX predictionstatus_in_progress_job_idx
    ON predictionstatus (model_id, prompt_id, dataset_id)
    WHERE status = 'in_progress';

-- Results of one job (export, cursor pagination, cancel) and of one dataset (leaderboard).
CREATE INDEX predictions_job_idx ON predictions (dataset_id, model_id, prompt_id, row_id);

-- Jobs still to run, for the workers' reconcile; jobs of a dataset, for listing.
CREATE INDEX modelpromptstatus_runnable_idx
    ON modelpromptstatus (model_id, prompt_id, dataset_id)
    WHERE status <> 'done';
CREATE INDEX modelpromptstatus_dataset_idx ON modelpromptstatus (dataset_id);

CREATE INDEX status_update_log_job_idx ON status_update_log (model_id, prompt_id, dataset_id, id);
