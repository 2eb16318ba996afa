-- 0009: every row-level problem is queryable, and batches are keyed by (LA or site, return, year).
--
-- restricted.rejects now records every row-level problem of a load, not only refused rows: a row is
-- refused only when it cannot be stored (row_kept = FALSE); for any other problem the row was kept and
-- the bad value withheld from the analytic zone and from linkage (row_kept = TRUE). The original row
-- stays here, in the restricted zone. dfe_rule is the DfE's code for the rule (NULL when none),
-- severity 'error' or 'query', child_id the record's own key (LAchildID / CHILD / site record id).
ALTER TABLE restricted.rejects ADD COLUMN dfe_rule VARCHAR;
ALTER TABLE restricted.rejects ADD COLUMN severity VARCHAR;
ALTER TABLE restricted.rejects ADD COLUMN child_id VARCHAR;
ALTER TABLE restricted.rejects ADD COLUMN row_kept BOOLEAN;

-- load_batches: batch_key = kind | la:<code> or site:<id>[ | measure] [ | collection year for statutory
-- returns]; a new file for the same key supersedes the current batch only when it is well-formed and
-- keeps enough of its rows and of the current batch's children; otherwise its status is 'quarantined'
-- and reason says why. status: current | superseded | quarantined | failed.
ALTER TABLE load_batches ADD COLUMN batch_key VARCHAR;
ALTER TABLE load_batches ADD COLUMN collection_year INTEGER;
ALTER TABLE load_batches ADD COLUMN reason VARCHAR;
ALTER TABLE load_batches ADD COLUMN children BIGINT;
