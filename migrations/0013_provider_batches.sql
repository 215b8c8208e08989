-- Provider batch mode (docs/batch.md): a model with config.dispatch = "batch" is run
-- through the provider's Batch API. Everything a worker needs to resume a batch is here
-- before the step that needs it is taken, so a worker killed at any step neither loses
-- rows nor sends them twice.
--
-- Which rows are in a batch: the batch's rows are `in_progress` in predictionstatus
-- with claimed_by = 'provider-batch/<batch_key>' (a WORKER_ID cannot contain '/'), and
-- their `attempt` is the fencing token written into each request's custom_id
-- ('<row_id>.<attempt>'). A result line is stored only while both still match, by the
-- same finish statement as an online result, so a line becomes a prediction once.
--
-- state, in order (each recorded before the step it names is taken):
--   assigned   rows taken, nothing sent
--   uploading  the input file (named evalq-<uid>.jsonl) may be at the provider: look
--              for it by name before uploading it again
--   uploaded   input_file_id known
--   creating   a batch tagged metadata.evalq_batch = <uid> may exist: look for it
--              before creating another
--   submitted  provider_batch_id known; polled until the provider is done
--   ingesting  output and error files known; storing the lines
--   returning  the batch failed or expired: its rows go back to online calls
--   done, cancelled  nothing more to do
CREATE TABLE provider_batches (
    batch_key          bigserial PRIMARY KEY,
    uid                uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    model_id           integer NOT NULL,
    prompt_id          integer NOT NULL,
    dataset_id         integer NOT NULL,
    state              text NOT NULL DEFAULT 'assigned',
    -- Set when the job is cancelled (its row deleted): the provider batch is cancelled.
    cancel_requested   boolean NOT NULL DEFAULT false,
    request_count      integer NOT NULL,
    input_bytes        bigint,
    input_file_id      text,
    provider_batch_id  text,
    output_file_id     text,
    error_file_id      text,
    -- The provider's own view, as last polled.
    provider_status    text,
    provider_total     integer,
    provider_completed integer,
    provider_failed    integer,
    -- Lines stored as predictions, and rows sent back to online calls.
    ingested           integer NOT NULL DEFAULT 0,
    returned           integer NOT NULL DEFAULT 0,
    error              text,
    -- The worker running a step holds the batch until lease_until (renewed while the
    -- step runs); a killed worker's batch is taken over when it passes.
    lease_owner        text,
    lease_until        timestamptz,
    next_check_at      timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    CONSTRAINT provider_batches_state_check CHECK (state IN (
        'assigned', 'uploading', 'uploaded', 'creating', 'submitted', 'ingesting',
        'returning', 'done', 'cancelled'))
);

-- Batches with a step to take, by when it is due.
CREATE INDEX provider_batches_due_idx
    ON provider_batches (next_check_at)
    WHERE state NOT IN ('done', 'cancelled');

-- A job's batches, for its progress (a handful per job: one per 50,000 rows).
CREATE INDEX provider_batches_job_idx ON provider_batches (model_id, prompt_id, dataset_id);

-- Cancelling a job (deleting its row) asks the workers to cancel its provider batches.
CREATE FUNCTION cancel_provider_batches_of_job()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE provider_batches
       SET cancel_requested = true, next_check_at = now(), updated_at = now()
     WHERE model_id = OLD.model_id AND prompt_id = OLD.prompt_id AND dataset_id = OLD.dataset_id
       AND state NOT IN ('done', 'cancelled');
    RETURN NULL;
END;
$$;

CREATE TRIGGER cancel_provider_batches_on_job_delete
AFTER DELETE ON modelpromptstatus
FOR EACH ROW
EXECUTE FUNCTION cancel_provider_batches_of_job();
