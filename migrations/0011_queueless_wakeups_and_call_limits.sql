-- Queue-less mode (docs/local-mode.md): without Redis, workers learn of launches through
-- PostgreSQL and share each model's call limits through it.

-- 1. Wake-ups. Every job that becomes runnable (launched, by the API or by plain SQL,
--    or made runnable again, e.g. by retry-failed) is announced on the channel
--    `evalq_jobs` with the payload `<model_id>/<prompt_id>/<dataset_id>`. NOTIFY is
--    sent at commit, so a listener never hears of a job it cannot see yet. The counting
--    trigger's updates of `count` do not change `status` and announce nothing.
CREATE FUNCTION announce_runnable_job()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('evalq_jobs', NEW.model_id || '/' || NEW.prompt_id || '/' || NEW.dataset_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER announce_launched_job
AFTER INSERT ON modelpromptstatus
FOR EACH ROW
WHEN (NEW.status <> 'done')
EXECUTE FUNCTION announce_runnable_job();

CREATE TRIGGER announce_revived_job
AFTER UPDATE OF status ON modelpromptstatus
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('pending', 'running'))
EXECUTE FUNCTION announce_runnable_job();

-- 2. Call limits per model, across every worker (the same rules as the Redis scripts
--    in apps/worker/lua, for the installations that run without Redis). Times are the
--    database server's clock, the one clock every worker shares.
--    A concurrency permit is a row that lives until its call ends (deleted) or its
--    expiry passes (a worker killed holding it); the rate is kept by GCRA, the generic
--    cell rate algorithm: next_start is the theoretical time of the next call start.
CREATE TABLE model_call_permits (
    permit_id  bigserial PRIMARY KEY,
    model_id   integer NOT NULL REFERENCES models (model_id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX model_call_permits_model_expiry ON model_call_permits (model_id, expires_at);

CREATE TABLE model_call_pacing (
    model_id     integer PRIMARY KEY REFERENCES models (model_id) ON DELETE CASCADE,
    next_start   timestamptz,
    paused_until timestamptz
);

-- Takes up to p_wanted permits for a model: granted > 0 with one permit id each when
-- p_max_in_flight > 0; or granted = 0 with wait_ms (when asking again can succeed, -1
-- for "when a permit is released") and reason ('paused', 'rate', 'concurrency').
-- The model's pacing row is locked for the statement: acquires of one model run one
-- at a time, those of different models in parallel.
CREATE FUNCTION acquire_call_permits(
    p_model_id       integer,
    p_wanted         integer,
    p_max_in_flight  integer,
    p_interval_ms    double precision,
    p_burst_ms       double precision,
    p_permit_ttl_ms  integer,
    OUT granted      integer,
    OUT wait_ms      double precision,
    OUT reason       text,
    OUT permit_ids   bigint[]
)
LANGUAGE plpgsql
AS $$
DECLARE
    now_at    timestamptz := clock_timestamp();
    pacing    model_call_pacing%ROWTYPE;
    free      integer;
    tat       timestamptz;
    allowed   integer;
BEGIN
    INSERT INTO model_call_pacing (model_id) VALUES (p_model_id) ON CONFLICT DO NOTHING;
    SELECT * INTO pacing FROM model_call_pacing WHERE model_id = p_model_id FOR UPDATE;
    granted := p_wanted;
    wait_ms := 0;
    permit_ids := '{}';

    IF pacing.paused_until > now_at THEN
        granted := 0;
        wait_ms := extract(epoch FROM pacing.paused_until - now_at) * 1000;
        reason := 'paused';
        RETURN;
    END IF;

    IF p_max_in_flight > 0 THEN
        DELETE FROM model_call_permits WHERE model_id = p_model_id AND expires_at <= now_at;
        SELECT p_max_in_flight - count(*) INTO free
          FROM model_call_permits WHERE model_id = p_model_id;
        IF free <= 0 THEN
            granted := 0;
            wait_ms := -1;
            reason := 'concurrency';
            RETURN;
        END IF;
        granted := least(granted, free);
    END IF;

    IF p_interval_ms > 0 THEN
        tat := greatest(coalesce(pacing.next_start, now_at), now_at);
        allowed := floor(
            (extract(epoch FROM now_at - tat) * 1000 + p_burst_ms) / p_interval_ms
        )::integer + 1;
        IF allowed <= 0 THEN
            granted := 0;
            wait_ms := extract(epoch FROM tat - now_at) * 1000 - p_burst_ms;
            reason := 'rate';
            RETURN;
        END IF;
        granted := least(granted, allowed);
        UPDATE model_call_pacing
           SET next_start = tat + make_interval(secs => granted * p_interval_ms / 1000)
         WHERE model_id = p_model_id;
    END IF;

    IF p_max_in_flight > 0 THEN
        WITH taken AS (
            INSERT INTO model_call_permits (model_id, expires_at)
            SELECT p_model_id, now_at + make_interval(secs => p_permit_ttl_ms / 1000.0)
              FROM generate_series(1, granted)
            RETURNING permit_id
        )
        SELECT array_agg(permit_id) INTO permit_ids FROM taken;
    END IF;
END;
$$;

-- Gives back rate slots granted but not used, so the model's start rate is not wasted.
CREATE FUNCTION refund_call_slots(p_model_id integer, p_unused integer, p_interval_ms double precision)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE model_call_pacing
       SET next_start = greatest(
               clock_timestamp(),
               next_start - make_interval(secs => p_unused * p_interval_ms / 1000))
     WHERE model_id = p_model_id AND next_start IS NOT NULL;
$$;

-- Pauses a model for every worker (its provider answered 429). The pause only grows.
CREATE FUNCTION pause_model_calls(p_model_id integer, p_pause_ms integer)
RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO model_call_pacing AS p (model_id, paused_until)
    VALUES (p_model_id, clock_timestamp() + make_interval(secs => p_pause_ms / 1000.0))
    ON CONFLICT (model_id) DO UPDATE
       SET paused_until = greatest(p.paused_until, EXCLUDED.paused_until);
$$;
