-- A prediction that spent nothing reaches no budget (docs/cost.md, "Budgets"): the
-- counting trigger asks whether a budget is reached only after a prediction that added
-- to the job's spend (dollars or tokens). A cache hit, or a failed call that reported no
-- usage, leaves every budget where it was, and asking cost a run-budget query per
-- prediction: a tenth of PostgreSQL's time in a job served from the response cache. A
-- budget lowered below the spend meanwhile is still caught at the job's next claim
-- (claim_allowance pauses it there) and by the next prediction that spends.
-- Only that condition differs from 0014's definition; the SET keeps 0019's setting
-- (CREATE OR REPLACE replaces a function's settings with its own).
CREATE OR REPLACE FUNCTION update_modelpromptstatus()
RETURNS trigger
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
DECLARE
    job_dataset_id integer := NEW.dataset_id;
    succeeded      boolean := NEW.status = 'success';
    usd            double precision := prediction_spend_usd(NEW.cost_usd, NEW.judge_cost_usd);
    tokens         bigint := prediction_spend_tokens(NEW.cached, NEW.prompt_tokens,
                                                     NEW.completion_tokens, NEW.judge_tokens);
    provider_failure boolean := is_provider_failure(NEW.error_kind);
    job            record;
    job_status     varchar;
    stop           varchar;
BEGIN
    IF job_dataset_id IS NULL THEN
        SELECT r.dataset_id INTO job_dataset_id FROM rows r WHERE r.row_id = NEW.row_id;
    END IF;

    UPDATE modelpromptstatus
       SET count             = coalesce(count, 0) + 1,
           failed            = failed + CASE WHEN NEW.status = 'failed' THEN 1 ELSE 0 END,
           correct           = correct + CASE WHEN succeeded AND NEW.passed THEN 1 ELSE 0 END,
           ungraded          = ungraded + CASE WHEN succeeded AND NEW.passed IS NULL THEN 1 ELSE 0 END,
           regrade_remaining = regrade_remaining
                               + CASE WHEN succeeded AND NEW.grading_version < grading_version
                                      THEN 1 ELSE 0 END,
           updated_at        = now(),
           spent_usd         = CASE WHEN usd IS NULL THEN spent_usd ELSE coalesce(spent_usd, 0) + usd END,
           spent_tokens      = spent_tokens + tokens,
           cached_hits       = cached_hits + CASE WHEN NEW.cached THEN 1 ELSE 0 END,
           max_call_cost_usd = greatest(max_call_cost_usd, coalesce(usd, 0)),
           max_call_tokens   = greatest(max_call_tokens, tokens),
           provider_failures = provider_failures + CASE WHEN provider_failure THEN 1 ELSE 0 END,
           paused_message    = CASE WHEN provider_failure AND status <> 'paused'
                                    THEN NEW.error ELSE paused_message END
     WHERE model_id   = NEW.model_id
       AND prompt_id  = NEW.prompt_id
       AND dataset_id = job_dataset_id
    RETURNING count, total, status, started_at, provider_failures, spent_usd, spent_tokens,
              max_cost_usd, max_tokens INTO job;

    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    job_status := job.status;
    -- Every row processed: done (even when paused: nothing is left to run). The first
    -- prediction: running, and the job's start time.
    IF job.count >= job.total OR job.status = 'pending' OR job.started_at IS NULL THEN
        UPDATE modelpromptstatus
           SET status      = CASE
                                 WHEN job.count >= job.total THEN 'done'
                                 WHEN status = 'pending' THEN 'running'
                                 ELSE status
                             END,
               started_at  = coalesce(started_at, now()),
               finished_at = CASE
                                 WHEN job.count >= job.total THEN coalesce(finished_at, now())
                                 ELSE finished_at
                             END
         WHERE model_id = NEW.model_id AND prompt_id = NEW.prompt_id AND dataset_id = job_dataset_id
        RETURNING status INTO job_status;
    END IF;

    IF job_status NOT IN ('pending', 'running') THEN
        RETURN NULL;
    END IF;
    IF job.provider_failures >= 3 THEN
        stop := 'provider';
    ELSIF coalesce(usd, 0) = 0 AND tokens = 0 THEN
        stop := NULL;  -- spent nothing: every budget is where it was
    ELSIF over_budget(coalesce(job.spent_usd, 0), job.spent_tokens, job.max_cost_usd, job.max_tokens)
          OR run_budget_reached(NEW.model_id, NEW.prompt_id, job_dataset_id) THEN
        stop := 'budget';
    END IF;
    IF stop IS NOT NULL THEN
        UPDATE modelpromptstatus
           SET status         = 'paused',
               paused_reason  = stop,
               paused_message = CASE WHEN stop = 'provider' THEN paused_message
                                     ELSE 'the budget is reached' END,
               updated_at     = now()
         WHERE model_id = NEW.model_id AND prompt_id = NEW.prompt_id AND dataset_id = job_dataset_id;
    END IF;
    RETURN NULL;
END;
$$;
