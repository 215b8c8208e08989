-- A job becomes running at its first claim, whoever claims (docs/triggers.md): once per
-- claiming statement now, not once per claimed row. The row trigger of 0006 ran an
-- UPDATE of the job for every row ever claimed, which matched nothing after the first:
-- about 27 µs of PostgreSQL time for each claimed row, a third of a claim's cost
-- (claims of 25 rows of a 50,000-row job: 90 -> 62 µs a row). The statement trigger
-- reads the statement's new row versions and updates each pending job among them
-- once. A trigger with transition tables cannot name columns, so it fires after every
-- UPDATE of predictionstatus; they all set status (claims, heartbeats, finishes,
-- releases, reclaims), and a statement without a row newly in progress updates nothing.
-- A heartbeat re-sets in_progress too: it can only find its job already running (or
-- paused, which it leaves alone).
DROP TRIGGER after_claim_prediction_status ON predictionstatus;
DROP FUNCTION start_job_on_claim();

CREATE FUNCTION start_jobs_on_claim()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE modelpromptstatus j
       SET status = 'running', started_at = coalesce(j.started_at, now()), updated_at = now()
      FROM (SELECT DISTINCT n.model_id, n.prompt_id,
                   coalesce(n.dataset_id, (SELECT r.dataset_id FROM rows r WHERE r.row_id = n.row_id))
                       AS dataset_id
              FROM new_rows n
             WHERE n.status = 'in_progress') k
     WHERE j.model_id = k.model_id AND j.prompt_id = k.prompt_id AND j.dataset_id = k.dataset_id
       AND j.status = 'pending';
    RETURN NULL;
END;
$$;

CREATE TRIGGER after_claim_prediction_status
AFTER UPDATE ON predictionstatus
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT
EXECUTE FUNCTION start_jobs_on_claim();
