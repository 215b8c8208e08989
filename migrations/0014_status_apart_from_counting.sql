-- The documented counting trigger, lighter per prediction (docs/triggers.md, "Status
-- apart from the counters"). A job's status, started_at and finished_at change twice
-- in its life, its counters on every prediction. Setting those three in the UPDATE
-- that every prediction makes cost each prediction about 50 µs of PostgreSQL time
-- (250-row inserts into a 50,000-row job: 161-173 -> 114-121 µs a prediction). The
-- counters are now updated alone; a second UPDATE sets status and times only on a
-- job's first and last prediction. Counts, statuses, times and log rows are as before.
--
-- The budget check after it: the trigger has the job's row in hand, so it needs only
-- the run half of budget_reached(), which now has a name of its own; it was an EXISTS
-- over the job's budgeted runs followed by budget_reached(), which read the job again
-- and joined the same runs a second time. pause_stopped_jobs(), the same check for
-- updated and deleted predictions, is written the same way.

-- One of the job's live runs with a budget has spent it (its jobs' spend together).
CREATE FUNCTION run_budget_reached(p_model_id integer, p_prompt_id integer, p_dataset_id integer)
RETURNS boolean
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    -- plpgsql, not sql: its plans are kept (a sql function is planned at every call).
    RETURN EXISTS (
        SELECT 1
          FROM run_jobs rj
          JOIN runs r ON r.id = rj.run_id
          CROSS JOIN LATERAL (
              SELECT coalesce(sum(j.spent_usd), 0) AS usd, coalesce(sum(j.spent_tokens), 0) AS tokens
                FROM run_jobs o
                JOIN modelpromptstatus j
                  ON j.model_id = o.model_id AND j.prompt_id = o.prompt_id
                 AND j.dataset_id = r.dataset_id
               WHERE o.run_id = r.id) s
         WHERE rj.model_id = p_model_id AND rj.prompt_id = p_prompt_id
           AND r.dataset_id = p_dataset_id AND r.canceled_at IS NULL
           AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL)
           AND over_budget(s.usd, s.tokens, r.max_cost_usd, r.max_tokens));
END;
$$;

-- The budget rule (docs/cost.md): the job's own budget, or one of its runs'.
CREATE OR REPLACE FUNCTION budget_reached(p_model_id integer, p_prompt_id integer, p_dataset_id integer)
RETURNS boolean
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN EXISTS (
               SELECT 1 FROM modelpromptstatus j
                WHERE j.model_id = p_model_id AND j.prompt_id = p_prompt_id
                  AND j.dataset_id = p_dataset_id
                  AND over_budget(coalesce(j.spent_usd, 0), j.spent_tokens, j.max_cost_usd, j.max_tokens))
        OR run_budget_reached(p_model_id, p_prompt_id, p_dataset_id);
END;
$$;

-- Pauses the given jobs that a budget or their provider failures stop.
CREATE OR REPLACE FUNCTION pause_stopped_jobs(model_ids integer[], prompt_ids integer[], dataset_ids integer[])
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE modelpromptstatus j
       SET status         = 'paused',
           paused_reason  = CASE WHEN j.provider_failures >= 3 THEN 'provider' ELSE 'budget' END,
           paused_message = CASE WHEN j.provider_failures >= 3 THEN j.paused_message
                                 ELSE 'the budget is reached' END,
           updated_at     = now()
      FROM unnest(model_ids, prompt_ids, dataset_ids) AS k(model_id, prompt_id, dataset_id)
     WHERE j.model_id = k.model_id AND j.prompt_id = k.prompt_id AND j.dataset_id = k.dataset_id
       AND j.status IN ('pending', 'running')
       AND (j.provider_failures >= 3
            OR over_budget(coalesce(j.spent_usd, 0), j.spent_tokens, j.max_cost_usd, j.max_tokens)
            OR run_budget_reached(j.model_id, j.prompt_id, j.dataset_id));
END;
$$;

CREATE OR REPLACE FUNCTION update_modelpromptstatus()
RETURNS trigger
LANGUAGE plpgsql
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
