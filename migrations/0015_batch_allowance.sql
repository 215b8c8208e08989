-- The size of a job's next provider batch, decided in SQL beside the claim gate it
-- builds on (docs/batch.md, "Cost and budgets"). The worker used to read three facts
-- about the job and apply the probe rule itself; the rule now has one owner here, and
-- "a budget covers the job" one owner for both functions.

-- A budget covers the job: its own, or one of its live runs'.
CREATE FUNCTION budget_covers_job(job modelpromptstatus)
RETURNS boolean
LANGUAGE sql
STABLE
AS $$
    SELECT job.max_cost_usd IS NOT NULL OR job.max_tokens IS NOT NULL OR EXISTS (
        SELECT 1 FROM run_jobs rj JOIN runs r ON r.id = rj.run_id
         WHERE rj.model_id = job.model_id AND rj.prompt_id = job.prompt_id
           AND r.dataset_id = job.dataset_id AND r.canceled_at IS NULL
           AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL));
$$;

-- The claim gate of 0012, unchanged but for asking budget_covers_job().
CREATE OR REPLACE FUNCTION claim_allowance(
    p_model_id   integer,
    p_prompt_id  integer,
    p_dataset_id integer,
    p_wanted     integer
)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    job       modelpromptstatus%ROWTYPE;
    allowed   integer := p_wanted;
    budget    record;
    in_flight integer;
    room      double precision;
BEGIN
    SELECT j.* INTO job FROM modelpromptstatus j
     WHERE j.model_id = p_model_id AND j.prompt_id = p_prompt_id AND j.dataset_id = p_dataset_id;
    IF NOT FOUND OR job.status = 'paused' THEN
        RETURN 0;
    END IF;
    IF NOT budget_covers_job(job) THEN
        RETURN p_wanted;
    END IF;

    -- Claims under one budget are decided one at a time: a transaction-scoped advisory
    -- lock per job and per budgeted run (no row is written for it), taken in one order.
    PERFORM pg_advisory_xact_lock(1162167633, hashtext(p_model_id || '/' || p_prompt_id || '/' || p_dataset_id));
    PERFORM pg_advisory_xact_lock(1162167634, hashtext(r.id::text))
       FROM runs r
      WHERE r.id IN (SELECT rj.run_id FROM run_jobs rj
                      WHERE rj.model_id = p_model_id AND rj.prompt_id = p_prompt_id)
        AND r.dataset_id = p_dataset_id AND r.canceled_at IS NULL
        AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL)
      ORDER BY r.id;

    -- Each budget over the jobs it covers: the job alone, or every job of a run.
    FOR budget IN
        WITH budgets AS (
            SELECT NULL::uuid AS run_id, job.max_cost_usd AS max_usd, job.max_tokens AS max_tokens
             WHERE job.max_cost_usd IS NOT NULL OR job.max_tokens IS NOT NULL
            UNION ALL
            SELECT r.id, r.max_cost_usd, r.max_tokens
              FROM run_jobs rj JOIN runs r ON r.id = rj.run_id
             WHERE rj.model_id = p_model_id AND rj.prompt_id = p_prompt_id
               AND r.dataset_id = p_dataset_id AND r.canceled_at IS NULL
               AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL)
        )
        SELECT b.max_usd, b.max_tokens, s.usd, s.tokens, s.call_usd, s.call_tokens, s.in_flight
          FROM budgets b
          CROSS JOIN LATERAL (
              SELECT coalesce(sum(j.spent_usd), 0)        AS usd,
                     coalesce(sum(j.spent_tokens), 0)     AS tokens,
                     coalesce(max(j.max_call_cost_usd), 0) AS call_usd,
                     coalesce(max(j.max_call_tokens), 0)  AS call_tokens,
                     coalesce(sum((SELECT count(*) FROM predictionstatus ps
                                    WHERE ps.model_id = j.model_id AND ps.prompt_id = j.prompt_id
                                      AND ps.dataset_id = j.dataset_id
                                      AND ps.status = 'in_progress')), 0)::int AS in_flight
                FROM modelpromptstatus j
               WHERE j.dataset_id = p_dataset_id
                 AND ((b.run_id IS NULL AND j.model_id = p_model_id AND j.prompt_id = p_prompt_id)
                      OR (j.model_id, j.prompt_id) IN (SELECT o.model_id, o.prompt_id
                                                         FROM run_jobs o WHERE o.run_id = b.run_id))
          ) s
    LOOP
        -- Reached already: the job stops here.
        IF over_budget(budget.usd, budget.tokens, budget.max_usd, budget.max_tokens) THEN
            UPDATE modelpromptstatus
               SET status = 'paused', paused_reason = 'budget',
                   paused_message = 'the budget is reached', updated_at = now()
             WHERE model_id = p_model_id AND prompt_id = p_prompt_id AND dataset_id = p_dataset_id
               AND status IN ('pending', 'running');
            RETURN 0;
        END IF;
        in_flight := budget.in_flight;
        -- room is a double: a large budget over cheap calls is far beyond an integer.
        IF budget.max_usd IS NOT NULL AND budget.call_usd > 0 THEN
            room := floor((budget.max_usd - budget.usd) / budget.call_usd) - in_flight;
            allowed := greatest(least(room, allowed), 0)::integer;
        END IF;
        IF budget.max_tokens IS NOT NULL AND budget.call_tokens > 0 THEN
            room := floor((budget.max_tokens - budget.tokens)::double precision / budget.call_tokens) - in_flight;
            allowed := greatest(least(room, allowed), 0)::integer;
        END IF;
        -- Below one expected call's cost but not reached: one row at a time, none in flight.
        IF allowed = 0 AND in_flight = 0 THEN
            allowed := least(p_wanted, 1);
        END IF;
    END LOOP;
    RETURN allowed;
END;
$$;

-- How many of `p_wanted` pending rows a job's next provider batch may take. Under a
-- budget, until a stored prediction has told what one request costs, the gate cannot
-- weigh a batch: the first batch is a probe of at most `p_probe` rows, sent alone (none
-- while another of the job's batches is open), so a budget is overshot by at most that
-- many requests, as online. Otherwise, and after the probe, the claim gate decides.
CREATE FUNCTION batch_allowance(
    p_model_id   integer,
    p_prompt_id  integer,
    p_dataset_id integer,
    p_wanted     integer,
    p_probe      integer
)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    job modelpromptstatus%ROWTYPE;
BEGIN
    SELECT j.* INTO job FROM modelpromptstatus j
     WHERE j.model_id = p_model_id AND j.prompt_id = p_prompt_id AND j.dataset_id = p_dataset_id;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    IF budget_covers_job(job) AND job.max_call_cost_usd = 0 AND job.max_call_tokens = 0 THEN
        IF EXISTS (SELECT 1 FROM provider_batches b
                    WHERE b.model_id = p_model_id AND b.prompt_id = p_prompt_id
                      AND b.dataset_id = p_dataset_id AND b.state NOT IN ('done', 'cancelled')) THEN
            RETURN 0;
        END IF;
        p_wanted := least(p_wanted, p_probe);
    END IF;
    RETURN claim_allowance(p_model_id, p_prompt_id, p_dataset_id, p_wanted);
END;
$$;
