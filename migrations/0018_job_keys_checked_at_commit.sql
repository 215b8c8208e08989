-- The job row's three foreign keys (model, prompt, dataset) are checked when the
-- transaction commits instead of after each statement (docs/triggers.md, "The job row's
-- keys, checked at commit"). The counting trigger updates the job's row once per stored
-- prediction; from the second update in a transaction on, the row version it replaces
-- is that transaction's own, and PostgreSQL then re-checks all three keys although they
-- never change: 6-11 µs per prediction of a finishing statement of 250 (177 -> 166-171
-- µs). Checked at commit, only the row's last version is checked. A key that is wrong
-- (a job launched for a model deleted meanwhile) still fails the transaction, with the
-- same error, at its commit.
ALTER TABLE modelpromptstatus
    ALTER CONSTRAINT modelpromptstatus_model_id_fkey DEFERRABLE INITIALLY DEFERRED,
    ALTER CONSTRAINT modelpromptstatus_prompt_id_fkey DEFERRABLE INITIALLY DEFERRED,
    ALTER CONSTRAINT modelpromptstatus_dataset_id_fkey DEFERRABLE INITIALLY DEFERRED;
