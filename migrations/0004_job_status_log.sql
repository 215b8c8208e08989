-- status_update_log gets one row per job status transition, whoever makes it: the
-- counting trigger (running -> done), a claim (pending -> running), a retry of failed
-- rows (done -> running), or plain SQL. An added trigger, so no code path can forget.
--
-- AFTER triggers of one event fire in name order: the insert log is named to sort
-- before after_insert_model_prompt_status, so a job's first log row precedes any
-- transition its seeding makes (an empty dataset's job goes straight to done).

CREATE FUNCTION log_model_prompt_status()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO status_update_log (model_id, prompt_id, dataset_id, status, previous_status)
    VALUES (NEW.model_id, NEW.prompt_id, NEW.dataset_id, NEW.status,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
    RETURN NULL;
END;
$$;

CREATE TRIGGER after_insert_log_model_prompt_status
AFTER INSERT ON modelpromptstatus
FOR EACH ROW
EXECUTE FUNCTION log_model_prompt_status();

CREATE TRIGGER after_update_log_model_prompt_status
AFTER UPDATE OF status ON modelpromptstatus
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION log_model_prompt_status();
