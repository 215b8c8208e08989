-- Job rows found by their keys (docs/triggers.md, "Job rows found by their keys"): the
-- functions that read or update one job's row by its key use the key's index. A
-- plpgsql function keeps a generic plan made while the job table was one page; the
-- planner then chose to read the whole table. But every stored prediction leaves a
-- version of its job's row behind until the table is vacuumed: a job of 20,000 rows
-- grows the table to about 3 MB, and each later prediction's counting UPDATE read all
-- of it (plain inserts of 100 predictions a statement into a 20,000-row job: 129 µs a
-- prediction; with the index: 100 µs; at 40,000 rows 169 and 126 µs).
ALTER FUNCTION update_modelpromptstatus() SET enable_seqscan = off;
ALTER FUNCTION claim_allowance(integer, integer, integer, integer) SET enable_seqscan = off;
ALTER FUNCTION start_jobs_on_claim() SET enable_seqscan = off;
ALTER FUNCTION budget_reached(integer, integer, integer) SET enable_seqscan = off;
ALTER FUNCTION run_budget_reached(integer, integer, integer) SET enable_seqscan = off;

