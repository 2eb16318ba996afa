-- 0003 linkage: confidence intervals, bias and must-link columns on linkage_metrics;
-- per-run scenario summaries; clerical review labels.

ALTER TABLE linkage_metrics ADD COLUMN precision_low DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN precision_high DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN recall_low DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN recall_high DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN match_rate_low DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN match_rate_high DOUBLE;
ALTER TABLE linkage_metrics ADD COLUMN missed_match_rate DOUBLE;
-- Largest gap in recall (measured) or estimated recall between groups of this subgroup_type
-- with at least 6 true matches (records when estimated); the same value on each row of the type.
ALTER TABLE linkage_metrics ADD COLUMN largest_gap DOUBLE;
-- Records that must link (referred by children's social care) and the share of them linked:
-- a recall check that needs no truth file.
ALTER TABLE linkage_metrics ADD COLUMN must_link_n BIGINT;
ALTER TABLE linkage_metrics ADD COLUMN must_link_rate DOUBLE;

-- Clerically reviewed pairs (linkready link --labels reviewed.csv): 1 = same person, 0 = not.
CREATE TABLE linkage_labels (
    site_id      VARCHAR NOT NULL,
    left_key     VARCHAR NOT NULL,
    right_key    VARCHAR NOT NULL,
    label        DOUBLE NOT NULL,
    reviewer     VARCHAR,
    loaded_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (site_id, left_key, right_key)
);
