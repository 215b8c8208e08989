-- Rate slots given back only while they are the latest granted (docs/worker.md,
-- "Claiming"). A worker that was granted more call starts than its claim found
-- rows gives the unused ones back, moving the model's schedule (the start the next grant
-- gets) back by as many intervals. But when another worker had been granted starts
-- meanwhile, those came after the ones given back: moving the schedule back handed
-- their times out a second time, and two workers started calls in the same slots (a
-- model limited to 120 requests a minute saw 6 starts within 2 seconds). A grant now
-- says where it left the schedule (rate_mark), and a refund moves the schedule back
-- only if it is still there; otherwise the unused starts are lost, which errs on the
-- side of the provider's limit. The Redis scripts (apps/worker/lua) do the same.

DROP FUNCTION acquire_call_permits(integer, integer, integer, double precision, double precision, integer);
DROP FUNCTION refund_call_slots(integer, integer, double precision);

-- As in migration 0011, and rate_mark: the schedule as this grant left it (text, to
-- keep its microseconds through the client), null without a rate limit.
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
    OUT permit_ids   bigint[],
    OUT rate_mark    text
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
         WHERE model_id = p_model_id
        RETURNING next_start::text INTO rate_mark;
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

-- Gives back rate slots granted but not used, if no start was granted after them.
CREATE FUNCTION refund_call_slots(
    p_model_id    integer,
    p_unused      integer,
    p_interval_ms double precision,
    p_rate_mark   text
)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE model_call_pacing
       SET next_start = greatest(
               clock_timestamp(),
               next_start - make_interval(secs => p_unused * p_interval_ms / 1000))
     WHERE model_id = p_model_id AND next_start = p_rate_mark::timestamptz;
$$;
