-- Cost, budgets, pauses and the response cache (docs/cost.md).
--
-- What a call cost is decided in TypeScript (packages/providers/src/call-cost.ts) and
-- stored with its prediction; everything here only adds up what is stored. The spend
-- of a job is the sum over its stored predictions, kept by SQL so every writer agrees.

-- 1. A prediction's cost.
--    cost_usd        the candidate call (NULL when its model has no price; 0 for a cache hit)
--    judge_cost_usd  the judge calls that graded it (NULL when none was priced)
--    judge_tokens    tokens of those judge calls (prompt + completion)
--    cached          the answer came from the response cache: no call was made
--    error_kind      why a failed call failed (the provider error's kind), for the pause rule
ALTER TABLE predictions
    ADD COLUMN cost_usd       double precision,
    ADD COLUMN judge_cost_usd double precision,
    ADD COLUMN judge_tokens   integer,
    ADD COLUMN cached         boolean NOT NULL DEFAULT false,
    ADD COLUMN error_kind     varchar,
    ADD CONSTRAINT predictions_cost_check CHECK (cost_usd >= 0 AND judge_cost_usd >= 0);

-- 2. A job's spend, budget and pause.
--    spent_usd           sum of its predictions' costs; NULL until a priced one is stored
--    spent_tokens        tokens of its calls (cache hits made none)
--    cached_hits         predictions answered from the cache
--    max_call_cost_usd,  the largest cost (tokens) of one stored prediction: what the claim
--    max_call_tokens     gate expects the next call to cost at most
--    max_cost_usd,       the job's own budget (a run's budget is on runs)
--    max_tokens
--    cache               read and write the response cache
--    paused_reason       'budget' or 'provider' while paused; paused_message says why
--    provider_failures   calls failed by a configuration error since the job last resumed
ALTER TABLE modelpromptstatus
    ADD COLUMN spent_usd         double precision,
    ADD COLUMN spent_tokens      bigint NOT NULL DEFAULT 0,
    ADD COLUMN cached_hits       integer NOT NULL DEFAULT 0,
    ADD COLUMN max_call_cost_usd double precision NOT NULL DEFAULT 0,
    ADD COLUMN max_call_tokens   bigint NOT NULL DEFAULT 0,
    ADD COLUMN max_cost_usd      double precision,
    ADD COLUMN max_tokens        bigint,
    ADD COLUMN cache             boolean NOT NULL DEFAULT false,
    ADD COLUMN paused_reason     varchar,
    ADD COLUMN paused_message    text,
    ADD COLUMN provider_failures integer NOT NULL DEFAULT 0,
    DROP CONSTRAINT modelpromptstatus_status_check,
    ADD CONSTRAINT modelpromptstatus_status_check
        CHECK (status IN ('pending', 'running', 'paused', 'done')),
    ADD CONSTRAINT modelpromptstatus_paused_reason_check
        CHECK (paused_reason IN ('budget', 'provider')),
    ADD CONSTRAINT modelpromptstatus_budget_check
        CHECK (max_cost_usd >= 0 AND max_tokens >= 0);

ALTER TABLE runs
    ADD COLUMN max_cost_usd double precision,
    ADD COLUMN max_tokens   bigint,
    ADD COLUMN cache        boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT runs_budget_check CHECK (max_cost_usd >= 0 AND max_tokens >= 0);

-- A job that leaves `paused` (done by its last calls in flight, or resumed) drops its reason.
CREATE FUNCTION clear_paused_reason()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.paused_reason := NULL;
    NEW.paused_message := NULL;
    RETURN NEW;
END;
$$;

CREATE TRIGGER before_unpause_model_prompt_status
BEFORE UPDATE OF status ON modelpromptstatus
FOR EACH ROW
WHEN (NEW.status <> 'paused' AND OLD.paused_reason IS NOT NULL)
EXECUTE FUNCTION clear_paused_reason();

-- 3. The budget rule, in one place (over_budget): has the job's own budget, or the budget
--    of a run that includes it, been reached by what is stored? A run's spend is the sum of its
--    jobs' spends.
CREATE FUNCTION over_budget(spent_usd double precision, spent_tokens numeric,
                            max_usd double precision, max_tokens numeric)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(spent_usd >= max_usd, false) OR coalesce(spent_tokens >= max_tokens, false);
$$;

CREATE FUNCTION budget_reached(p_model_id integer, p_prompt_id integer, p_dataset_id integer)
RETURNS boolean
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    -- plpgsql, not sql: its plans are kept (a sql function is planned at every call).
    RETURN EXISTS (
               SELECT 1 FROM modelpromptstatus j
                WHERE j.model_id = p_model_id AND j.prompt_id = p_prompt_id
                  AND j.dataset_id = p_dataset_id
                  AND over_budget(coalesce(j.spent_usd, 0), j.spent_tokens, j.max_cost_usd, j.max_tokens))
        OR EXISTS (
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

-- 4. Spend, cache hits and configuration failures, counted from the stored predictions
--    (on insert, update and delete), so the spend is always the sum over what is stored. What one prediction spends is said
--    once, here (inlined by the planner):
--      USD     cost_usd + judge_cost_usd (NULL when both are: an unpriced model);
--      tokens  its call's prompt + completion tokens (none for a cache hit) + judge_tokens.
--    Then the pause rules, for the jobs the statement touched (already locked by the
--    counting triggers of 0003/0006):
--      budget    the job's or one of its runs' budget is reached (budget_reached);
--      provider  3 calls failed by a configuration error (the key variable unset, 401,
--                403, an unknown model): every further call would fail the same way.
CREATE FUNCTION prediction_spend_usd(cost_usd double precision, judge_cost_usd double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN cost_usd IS NULL AND judge_cost_usd IS NULL THEN NULL
                ELSE coalesce(cost_usd, 0) + coalesce(judge_cost_usd, 0) END;
$$;

CREATE FUNCTION prediction_spend_tokens(cached boolean, prompt_tokens integer,
                                        completion_tokens integer, judge_tokens integer)
RETURNS bigint
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (CASE WHEN cached THEN 0 ELSE coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) END
            + coalesce(judge_tokens, 0))::bigint;
$$;

CREATE FUNCTION is_provider_failure(error_kind varchar)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(error_kind IN ('config', 'auth', 'not_found'), false);
$$;

-- Pauses the given jobs that a budget or their provider failures stop (a job without a
-- budget of its own, in no budgeted run, with no configuration failure costs two index
-- probes).
CREATE FUNCTION pause_stopped_jobs(model_ids integer[], prompt_ids integer[], dataset_ids integer[])
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
            OR ((j.max_cost_usd IS NOT NULL OR j.max_tokens IS NOT NULL
                 OR EXISTS (SELECT 1 FROM run_jobs rj JOIN runs r ON r.id = rj.run_id
                             WHERE rj.model_id = j.model_id AND rj.prompt_id = j.prompt_id
                               AND r.dataset_id = j.dataset_id AND r.canceled_at IS NULL
                               AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL)))
                AND budget_reached(j.model_id, j.prompt_id, j.dataset_id)));
END;
$$;

-- Inserts (the workers' finished batches) are counted by the documented counting
-- trigger itself, in the one UPDATE of the job row it already makes per prediction: a
-- statement trigger would copy every inserted row into a transition table first. This
-- is 0006's function with the spend, hits and configuration failures added, and the
-- pause rules checked after (only for a job a budget or a failure can stop).
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
           status            = CASE
                                   WHEN coalesce(count, 0) + 1 >= total THEN 'done'
                                   WHEN status = 'pending' THEN 'running'
                                   ELSE status
                               END,
           started_at        = coalesce(started_at, now()),
           finished_at       = CASE
                                   WHEN coalesce(count, 0) + 1 >= total THEN coalesce(finished_at, now())
                                   ELSE finished_at
                               END,
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
    RETURNING status, provider_failures, spent_usd, spent_tokens, max_cost_usd, max_tokens INTO job;

    IF NOT FOUND OR job.status NOT IN ('pending', 'running') THEN
        RETURN NULL;
    END IF;
    IF job.provider_failures >= 3 THEN
        stop := 'provider';
    ELSIF over_budget(coalesce(job.spent_usd, 0), job.spent_tokens, job.max_cost_usd, job.max_tokens)
          OR (EXISTS (SELECT 1 FROM run_jobs rj JOIN runs r ON r.id = rj.run_id
                       WHERE rj.model_id = NEW.model_id AND rj.prompt_id = NEW.prompt_id
                         AND r.dataset_id = job_dataset_id AND r.canceled_at IS NULL
                         AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL))
              AND budget_reached(NEW.model_id, NEW.prompt_id, job_dataset_id)) THEN
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

-- Updates (regrades: judge spend) and deletes (retry-failed, resume): each old row counts
-- −1 and each new row +1.
CREATE FUNCTION count_prediction_spend()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    job_of  text := 'model_id, prompt_id, coalesce(dataset_id, '
                    '(SELECT r.dataset_id FROM rows r WHERE r.row_id = t.row_id)) AS dataset_id, '
                    'prediction_spend_usd(cost_usd, judge_cost_usd) AS usd, '
                    'prediction_spend_tokens(cached, prompt_tokens, completion_tokens, judge_tokens) AS tokens, '
                    'cached';
    changed text := CASE TG_OP
        WHEN 'DELETE' THEN format('SELECT %s, -1 AS sign FROM old_rows t', job_of)
        ELSE format('SELECT %1$s, -1 AS sign FROM old_rows t UNION ALL SELECT %1$s, 1 FROM new_rows t', job_of)
    END;
    m integer[];
    p integer[];
    d integer[];
BEGIN
    EXECUTE format($sql$
        WITH changed AS (%s),
        deltas AS (
            SELECT model_id, prompt_id, dataset_id,
                   sum(usd * sign)                                   AS usd,
                   sum(tokens * sign)::bigint                        AS tokens,
                   max(usd) FILTER (WHERE sign > 0)                  AS call_usd,
                   max(tokens) FILTER (WHERE sign > 0)               AS call_tokens,
                   coalesce(sum(sign) FILTER (WHERE cached), 0)::int AS hits
              FROM changed
             GROUP BY model_id, prompt_id, dataset_id
        ), updated AS (
            UPDATE modelpromptstatus j
               SET spent_usd         = CASE WHEN d.usd IS NULL THEN j.spent_usd
                                            ELSE coalesce(j.spent_usd, 0) + d.usd END,
                   spent_tokens      = j.spent_tokens + d.tokens,
                   cached_hits       = j.cached_hits + d.hits,
                   max_call_cost_usd = greatest(j.max_call_cost_usd, coalesce(d.call_usd, 0)),
                   max_call_tokens   = greatest(j.max_call_tokens, coalesce(d.call_tokens, 0))
              FROM deltas d
             WHERE j.model_id = d.model_id AND j.prompt_id = d.prompt_id AND j.dataset_id = d.dataset_id
               AND (coalesce(d.usd, 0) <> 0 OR d.tokens <> 0 OR d.hits <> 0)
            RETURNING j.model_id, j.prompt_id, j.dataset_id
        )
        SELECT array_agg(u.model_id), array_agg(u.prompt_id), array_agg(u.dataset_id)
          FROM updated u$sql$,
        changed) INTO m, p, d;
    IF TG_OP = 'UPDATE' AND m IS NOT NULL THEN
        PERFORM pause_stopped_jobs(m, p, d);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER predictions_after_update_spend
AFTER UPDATE ON predictions
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT
EXECUTE FUNCTION count_prediction_spend();

CREATE TRIGGER predictions_after_delete_spend
AFTER DELETE ON predictions
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT
EXECUTE FUNCTION count_prediction_spend();

-- 5. The claim gate: how many of `p_wanted` rows a worker may claim for a job now. None
--    while the job is paused. Under a budget (the job's, or a run's that includes it), the
--    spend expected from the rows in flight (claimed, being called, or finished and
--    waiting in a worker's write buffer: all still in_progress) counts as spent, each at
--    the largest cost of one stored prediction so far: so the fleet together claims no
--    more than the budget is expected to pay for, and one row at a time when nothing is
--    in flight and the budget is almost spent. A budget already reached pauses the job
--    here (a run's other jobs learn it at their next claim). Claims under one budget are
--    decided one at a time (advisory locks), each seeing the rows the previous one claimed.
CREATE FUNCTION claim_allowance(
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
    budgeted  boolean;
    in_flight integer;
    room      double precision;
BEGIN
    SELECT j.* INTO job FROM modelpromptstatus j
     WHERE j.model_id = p_model_id AND j.prompt_id = p_prompt_id AND j.dataset_id = p_dataset_id;
    IF NOT FOUND OR job.status = 'paused' THEN
        RETURN 0;
    END IF;
    budgeted := job.max_cost_usd IS NOT NULL OR job.max_tokens IS NOT NULL OR EXISTS (
        SELECT 1 FROM run_jobs rj JOIN runs r ON r.id = rj.run_id
         WHERE rj.model_id = p_model_id AND rj.prompt_id = p_prompt_id
           AND r.dataset_id = p_dataset_id AND r.canceled_at IS NULL
           AND (r.max_cost_usd IS NOT NULL OR r.max_tokens IS NOT NULL));
    IF NOT budgeted THEN
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

-- 6. Resumes a paused job when what paused it is over: a budget that is no longer
--    reached (raised), or a model fixed (the caller says so by resuming). A job resumed
--    after a provider pause gets the rows that failed by the configuration error back
--    (their predictions are deleted; the counting triggers send the rows back to
--    pending). Returns true when the job runs again.
CREATE FUNCTION resume_paused_job(p_model_id integer, p_prompt_id integer, p_dataset_id integer)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    job modelpromptstatus%ROWTYPE;
BEGIN
    SELECT * INTO job FROM modelpromptstatus
     WHERE model_id = p_model_id AND prompt_id = p_prompt_id AND dataset_id = p_dataset_id
       FOR NO KEY UPDATE;
    IF NOT FOUND OR job.status <> 'paused' THEN
        RETURN false;
    END IF;
    IF budget_reached(p_model_id, p_prompt_id, p_dataset_id) THEN
        RETURN false;
    END IF;
    UPDATE modelpromptstatus
       SET status = CASE WHEN coalesce(count, 0) >= total THEN 'done'
                         WHEN started_at IS NULL THEN 'pending' ELSE 'running' END,
           provider_failures = 0,
           updated_at = now()
     WHERE model_id = p_model_id AND prompt_id = p_prompt_id AND dataset_id = p_dataset_id;
    IF job.paused_reason = 'provider' THEN
        DELETE FROM predictions p
         WHERE p.dataset_id = p_dataset_id AND p.model_id = p_model_id AND p.prompt_id = p_prompt_id
           AND p.status = 'failed' AND is_provider_failure(p.error_kind);
    END IF;
    RETURN true;
END;
$$;

-- 7. The response cache, shared by every worker: a successful answer per request key
--    (a SHA-256 over what decides the answer: provider kind, base URL, model name,
--    output-affecting parameters and the rendered messages; packages/providers/src/
--    cache-key.ts). model_id is the model that stored it, for `cache clear --model`.
CREATE TABLE response_cache (
    cache_key         bytea PRIMARY KEY,
    model_id          integer REFERENCES models (model_id) ON DELETE SET NULL,
    prediction        text NOT NULL,
    prompt_tokens     integer,
    completion_tokens integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT response_cache_key_check CHECK (octet_length(cache_key) = 32)
);

CREATE INDEX response_cache_model_idx ON response_cache (model_id, created_at);
CREATE INDEX response_cache_created_idx ON response_cache (created_at);
