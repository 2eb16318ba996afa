-- 0030 evaluation readiness: real columns for the figures a report carries beyond 0005's (issues 14, 16).
-- Until now they were folded into the JSON of `basis` (timeline) and `candidates` (summary);
-- evaluation.load_report still unfolds rows written that way. Existing rows keep NULL here until
-- the next `linkready readiness`. Meanings: docs/evaluation-readiness.md.

-- readiness_timeline: `basis` is now one word (measured | estimated | review | setting | default:
-- the weakest source among the row's rates); `basis_detail` says, in words, where each input came from.
ALTER TABLE readiness_timeline ADD COLUMN basis_detail VARCHAR;
ALTER TABLE readiness_timeline ADD COLUMN years_to_target DOUBLE;        -- months_to_target / 12
ALTER TABLE readiness_timeline ADD COLUMN reachable_in_study BOOLEAN;    -- months_to_target <= study period
ALTER TABLE readiness_timeline ADD COLUMN referrals_counted BIGINT;      -- referrals (or families) the flow counts
ALTER TABLE readiness_timeline ADD COLUMN flow_months DOUBLE;            -- months those referrals span
ALTER TABLE readiness_timeline ADD COLUMN family_design_effect DOUBLE;   -- 1 + (m - 1) x ICC, or 1
ALTER TABLE readiness_timeline ADD COLUMN people_per_family DOUBLE;      -- observed eligible people per family (m)
ALTER TABLE readiness_timeline ADD COLUMN target_people BIGINT;          -- target_n x family design effect
ALTER TABLE readiness_timeline ADD COLUMN linkage_recall_low DOUBLE;     -- recall's 95% interval (csc_record rows)
ALTER TABLE readiness_timeline ADD COLUMN linkage_recall_high DOUBLE;
ALTER TABLE readiness_timeline ADD COLUMN linkage_basis VARCHAR;         -- measured | estimated | review

ALTER TABLE readiness_summary ADD COLUMN primary_rule VARCHAR;           -- the rule that chose the primary measure
ALTER TABLE readiness_summary ADD COLUMN years_to_target DOUBLE;
ALTER TABLE readiness_summary ADD COLUMN reachable_in_study BOOLEAN;
ALTER TABLE readiness_summary ADD COLUMN csc_years_to_target DOUBLE;
ALTER TABLE readiness_summary ADD COLUMN csc_reachable_in_study BOOLEAN;
ALTER TABLE readiness_summary ADD COLUMN study_period_months INTEGER;
ALTER TABLE readiness_summary ADD COLUMN best_linkage_label VARCHAR;     -- the scenario's plain label
ALTER TABLE readiness_summary ADD COLUMN linkage_recall_low DOUBLE;
ALTER TABLE readiness_summary ADD COLUMN linkage_recall_high DOUBLE;
ALTER TABLE readiness_summary ADD COLUMN linkage_basis VARCHAR;          -- measured | estimated | review
ALTER TABLE readiness_summary ADD COLUMN verdict_label VARCHAR;          -- the verdict in words
ALTER TABLE readiness_summary ADD COLUMN verdict_rule VARCHAR;           -- the rule that produced it
ALTER TABLE readiness_summary ADD COLUMN verdict_figure VARCHAR;         -- the recall figure it rests on
ALTER TABLE readiness_summary ADD COLUMN review_sample_n INTEGER;        -- records to review (review_sample verdicts)
