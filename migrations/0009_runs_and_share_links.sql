-- Runs and share links (docs/prompts-and-runs.md).

-- A run is an evaluation launched as a whole: every model × prompt job over one
-- dataset. Jobs are shared, never copied: a run over an existing job reuses it and its
-- predictions, so run_jobs holds the job's key and no FK to the job (a job cancelled by
-- itself leaves its run showing it gone). Deleting the dataset deletes its runs.
CREATE TABLE runs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar,
    dataset_id  integer NOT NULL REFERENCES datasets (dataset_id) ON DELETE CASCADE,
    -- As given at launch; grading stores them on the jobs (docs/prompts-and-runs.md).
    assertions  jsonb,
    threshold   double precision,
    created_at  timestamptz NOT NULL DEFAULT now(),
    canceled_at timestamptz,
    -- The summary computed when the run last completed, and the state of its jobs it
    -- was computed from: recomputed only when that state changes.
    summary     jsonb,
    summary_of  text
);

CREATE INDEX runs_created_idx ON runs (created_at DESC, id DESC);
CREATE INDEX runs_dataset_idx ON runs (dataset_id);

CREATE TABLE run_jobs (
    run_id    uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    model_id  integer NOT NULL,
    prompt_id integer NOT NULL,
    PRIMARY KEY (run_id, model_id, prompt_id)
);

-- Which runs use a job (cancelling a run keeps jobs that another run uses).
CREATE INDEX run_jobs_job_idx ON run_jobs (model_id, prompt_id);

-- A run's status and progress, derived from its jobs in this one place:
--   canceled   the run was cancelled (DELETE /v1/runs/:id), or a job of it is gone
--              (cancelled by itself) and no other job is left to run;
--   paused     a job is paused;
--   completed  every job exists and is done;
--   running    a job is running, or some are done and others are not;
--   pending    no job has started.
CREATE VIEW run_progress AS
SELECT a.run_id,
       a.total,
       a.done,
       a.failed,
       a.jobs,
       a.jobs_present,
       s.status,
       CASE WHEN s.status = 'pending' THEN NULL ELSE greatest(a.created_at, a.first_started_at) END
           AS started_at,
       CASE WHEN s.status = 'completed' THEN greatest(a.created_at, a.last_finished_at) END
           AS completed_at
  FROM (SELECT r.id                                  AS run_id,
               r.created_at,
               r.canceled_at,
               count(*)::int                         AS jobs,
               count(j.model_id)::int                AS jobs_present,
               coalesce(sum(j.total), 0)::int        AS total,
               coalesce(sum(coalesce(j.count, 0)), 0)::int AS done,
               coalesce(sum(j.failed), 0)::int       AS failed,
               count(*) FILTER (WHERE j.status = 'done')::int    AS jobs_done,
               count(*) FILTER (WHERE j.status = 'running')::int AS jobs_running,
               count(*) FILTER (WHERE j.status = 'paused')::int  AS jobs_paused,
               min(j.started_at)                     AS first_started_at,
               max(j.finished_at)                    AS last_finished_at
          FROM runs r
          JOIN run_jobs rj ON rj.run_id = r.id
          LEFT JOIN modelpromptstatus j
                 ON j.model_id = rj.model_id AND j.prompt_id = rj.prompt_id
                AND j.dataset_id = r.dataset_id
         GROUP BY r.id) a
 CROSS JOIN LATERAL (
       SELECT CASE
                  WHEN a.canceled_at IS NOT NULL THEN 'canceled'
                  WHEN a.jobs_paused > 0 THEN 'paused'
                  WHEN a.jobs_done = a.jobs THEN 'completed'
                  WHEN a.jobs_present < a.jobs AND a.jobs_done = a.jobs_present THEN 'canceled'
                  WHEN a.jobs_running > 0 OR a.jobs_done > 0 THEN 'running'
                  ELSE 'pending'
              END AS status) s;

-- A read-only link to one run's results. Only a hash of the token is stored (SHA-256
-- of 32 random bytes): the database never holds a usable link.
CREATE TABLE run_share_links (
    token_hash bytea PRIMARY KEY,
    run_id     uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT run_share_links_hash_check CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX run_share_links_run_idx ON run_share_links (run_id);
