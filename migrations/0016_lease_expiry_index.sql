-- Finding expired claims without reading the rows of provider batches (docs/batch.md).
-- A batch's rows stay in_progress for as long as the provider takes (up to a day) and
-- have no heartbeat: their batch's lease covers them. The reclaim query skips them, but
-- the index it walked (0002's predictionstatus_in_progress_time_idx) held them first in
-- line, oldest stamp first, so every reclaim pass of every worker read past all of a
-- waiting batch's rows (50,000 for a full one) before it reached a worker's claim. The
-- index now holds only the claims reclaim may take, with the query's own predicate.
DROP INDEX predictionstatus_in_progress_time_idx;

CREATE INDEX predictionstatus_lease_expiry_idx
    ON predictionstatus (in_progress_time)
    WHERE status = 'in_progress' AND coalesce(claimed_by, '') NOT LIKE 'provider-batch/%';
