-- 0025 linkage: an interval on every figure, the method behind it, and what blocking missed
-- (issue 14). Existing rows keep NULL in the new columns.

-- F1 bounds from the corners of the precision x recall intervals.
ALTER TABLE linkage_metrics ADD COLUMN f1_low DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN f1_high DOUBLE;
-- Interval of largest_gap (same value on every row of a subgroup type).
ALTER TABLE linkage_metrics ADD COLUMN largest_gap_low DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN largest_gap_high DOUBLE;
-- How the figures and intervals were produced (basis says measured or estimated; method says how).
ALTER TABLE linkage_metrics ADD COLUMN method VARCHAR;
-- Expected true pairs that no blocking rule generated (estimated rows; capture-recapture).
ALTER TABLE linkage_metrics ADD COLUMN blocking_missed DOUBLE;
