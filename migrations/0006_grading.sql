-- Grading (docs/grading.md): each prediction carries its verdict, each job its
-- assertions, and the job's counters are kept by SQL from the stored verdicts, on
-- insert, on delete and on update (regrade). The pass rule itself is not here: it is
-- decided in TypeScript (packages/grading/src/verdict.ts) and stored in `passed`; SQL
-- only counts what is stored.

-- A prediction's verdict. passed NULL on a successful prediction: ungraded (a judge
-- failed or answered unreadably). grading_version: the job's grading_version its verdict
-- was made under; older than the job's means a regrade still has to grade it.
ALTER TABLE predictions
    ADD COLUMN passed          boolean,
    ADD COLUMN score           double precision,
    ADD COLUMN grading         jsonb,
    ADD COLUMN grading_version integer NOT NULL DEFAULT 0,
    -- A regrade that calls judge models holds its predictions by this lease, not by a
    -- transaction kept open across the calls; an expired lease is taken over.
    ADD COLUMN regrade_lease_until timestamptz,
    ADD CONSTRAINT predictions_verdict_of_success_check
        CHECK (passed IS NULL OR status = 'success'),
    ADD CONSTRAINT predictions_score_check CHECK (score BETWEEN 0 AND 1);

-- A job's grading setup and its counters:
--   correct            successful predictions whose passed is true
--   ungraded           successful predictions whose passed is NULL
--   grading_version    bumped by every regrade request
--   regrade_remaining  successful predictions graded under an older grading_version
--                      (regrading while above 0)
ALTER TABLE modelpromptstatus
    ADD COLUMN assertions        jsonb NOT NULL DEFAULT '[{"type": "equals"}]',
    ADD COLUMN threshold         double precision,
    ADD COLUMN ungraded          integer NOT NULL DEFAULT 0,
    ADD COLUMN grading_version   integer NOT NULL DEFAULT 0,
    ADD COLUMN regrade_remaining integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT modelpromptstatus_threshold_check CHECK (threshold BETWEEN 0 AND 1),
    ADD CONSTRAINT modelpromptstatus_assertions_check CHECK (jsonb_typeof(assertions) = 'array');

-- What jobs launched on a dataset without assertions of their own get.
ALTER TABLE datasets
    ADD COLUMN default_assertions jsonb,
    ADD COLUMN default_threshold  double precision,
    ADD CONSTRAINT datasets_default_threshold_check CHECK (default_threshold BETWEEN 0 AND 1);

-- Predictions stored before grading existed have no verdict: they are counted as
-- ungraded and queued for a regrade under the job's (default) assertions, which the
-- workers then carry out. No equality rule is repeated here to guess their verdicts.
UPDATE modelpromptstatus
   SET correct           = 0,
       ungraded          = coalesce(count, 0) - failed,
       grading_version   = 1,
       regrade_remaining = coalesce(count, 0) - failed
 WHERE coalesce(count, 0) - failed > 0;

-- Jobs being regraded, for the workers' regrade loop.
CREATE INDEX modelpromptstatus_regrading_idx
    ON modelpromptstatus (updated_at)
    WHERE regrade_remaining > 0;

-- 1. The documented counting trigger, now counting the stored verdict. Each inserted
--    prediction still counts once, in O(1); it no longer reads the row's gold label.
CREATE OR REPLACE FUNCTION update_modelpromptstatus()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    job_dataset_id integer := NEW.dataset_id;
    succeeded      boolean := NEW.status = 'success';
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
           updated_at        = now()
     WHERE model_id   = NEW.model_id
       AND prompt_id  = NEW.prompt_id
       AND dataset_id = job_dataset_id;
    RETURN NULL;
END;
$$;

-- 2. Deleted and updated predictions, counted back out (and in), once per statement
--    whatever its size: a cancel of a million predictions or a regrade batch moves each
--    job's counters in one UPDATE. Each old row counts −1 and each new row +1 in the
--    counters it belongs to, so any change (a verdict, a status, a version) is counted
--    exactly; a statement that changes nothing countable leaves the job row alone.
--    The affected jobs are locked first, and the counts are taken after that lock: a
--    regrade request (which bumps grading_version) is then either wholly before or
--    wholly after this statement, and `regrade_remaining` stays exact.
--    A deleted prediction's row goes back to pending, and a job that was done is
--    running again: workers process the row anew (retry-failed is a DELETE of the
--    failed predictions). A cancel deletes the job first, so nothing is left to count.
CREATE FUNCTION count_prediction_changes()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    -- Each row with its job's dataset: its own, else its row's (the column is nullable).
    -- COALESCE runs the lookup only for a prediction without one.
    job_of  text := 'model_id, prompt_id, coalesce(dataset_id, '
                    '(SELECT r.dataset_id FROM rows r WHERE r.row_id = t.row_id)) AS dataset_id, '
                    'status, passed, grading_version';
    changed text := CASE TG_OP
        WHEN 'DELETE' THEN
            format('SELECT %s, -1 AS sign FROM old_rows t', job_of)
        ELSE
            format('SELECT %1$s, -1 AS sign FROM old_rows t UNION ALL SELECT %1$s, 1 FROM new_rows t', job_of)
    END;
BEGIN
    EXECUTE format($sql$
        WITH changed AS (%s)
        SELECT 1
          FROM modelpromptstatus j
          JOIN (SELECT DISTINCT model_id, prompt_id, dataset_id FROM changed) k
            ON j.model_id = k.model_id AND j.prompt_id = k.prompt_id AND j.dataset_id = k.dataset_id
         ORDER BY j.dataset_id, j.model_id, j.prompt_id
           FOR UPDATE OF j$sql$, changed);

    EXECUTE format($sql$
        WITH changed AS (%s),
        deltas AS (
            SELECT j.model_id, j.prompt_id, j.dataset_id,
                   sum(c.sign)::int AS n,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'failed'), 0)::int AS failed,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'success' AND c.passed), 0)::int AS passed,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'success' AND c.passed IS NULL), 0)::int AS ungraded,
                   coalesce(sum(c.sign) FILTER (WHERE c.status = 'success'
                                                  AND c.grading_version < j.grading_version), 0)::int AS stale
              FROM changed c
              JOIN modelpromptstatus j
                ON j.model_id = c.model_id AND j.prompt_id = c.prompt_id AND j.dataset_id = c.dataset_id
             GROUP BY j.model_id, j.prompt_id, j.dataset_id
        )
        UPDATE modelpromptstatus j
           SET count             = coalesce(j.count, 0) + d.n,
               failed            = j.failed + d.failed,
               correct           = j.correct + d.passed,
               ungraded          = j.ungraded + d.ungraded,
               regrade_remaining = j.regrade_remaining + d.stale,
               status            = CASE
                                       WHEN coalesce(j.count, 0) + d.n >= j.total THEN
                                           CASE WHEN j.total > 0 THEN 'done' ELSE j.status END
                                       WHEN j.status = 'done' THEN 'running'
                                       ELSE j.status
                                   END,
               finished_at       = CASE WHEN coalesce(j.count, 0) + d.n >= j.total
                                        THEN coalesce(j.finished_at, now()) END,
               updated_at        = now()
          FROM deltas d
         WHERE j.model_id = d.model_id AND j.prompt_id = d.prompt_id AND j.dataset_id = d.dataset_id
           AND (d.n, d.failed, d.passed, d.ungraded, d.stale) <> (0, 0, 0, 0, 0)$sql$, changed);

    IF TG_OP = 'DELETE' THEN
        UPDATE predictionstatus ps
           SET status = 'pending', claimed_by = NULL
          FROM old_rows o
         WHERE ps.row_id = o.row_id AND ps.model_id = o.model_id AND ps.prompt_id = o.prompt_id
           AND ps.status = 'done';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER predictions_after_delete
AFTER DELETE ON predictions
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT
EXECUTE FUNCTION count_prediction_changes();

CREATE TRIGGER predictions_after_update
AFTER UPDATE ON predictions
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT
EXECUTE FUNCTION count_prediction_changes();

-- 3. A regrade request bumps grading_version: from then on every successful prediction
--    of the job is graded under an older version, so all of them remain to be regraded.
CREATE FUNCTION start_regrade()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.regrade_remaining := coalesce(NEW.count, 0) - NEW.failed;
    RETURN NEW;
END;
$$;

CREATE TRIGGER before_regrade_model_prompt_status
BEFORE UPDATE OF grading_version ON modelpromptstatus
FOR EACH ROW
WHEN (NEW.grading_version > OLD.grading_version)
EXECUTE FUNCTION start_regrade();

-- 4. pending → running when the job's first row is claimed, whoever claims it: the
--    claim is an UPDATE of predictionstatus to in_progress. Only the first claim of a
--    row from pending fires it, and once the job runs it matches nothing.
CREATE FUNCTION start_job_on_claim()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE modelpromptstatus
       SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
     WHERE model_id = NEW.model_id
       AND prompt_id = NEW.prompt_id
       AND dataset_id = coalesce(NEW.dataset_id,
                                 (SELECT r.dataset_id FROM rows r WHERE r.row_id = NEW.row_id))
       AND status = 'pending';
    RETURN NULL;
END;
$$;

CREATE TRIGGER after_claim_prediction_status
AFTER UPDATE OF status ON predictionstatus
FOR EACH ROW
WHEN (OLD.status = 'pending' AND NEW.status = 'in_progress')
EXECUTE FUNCTION start_job_on_claim();
