-- 0005 evaluation readiness: result tables written by evaluation.compute_and_store (issue 8).
-- Every compute replaces the rows of all six tables in one transaction (no history is kept).
-- Counts are stored unsuppressed; site-facing views must apply evaluation.suppress_small_counts
-- (counts 1-5 -> 'c'). Columns are documented in docs/evaluation-readiness.md.

-- One row: when and with which settings the tables below were computed.
CREATE TABLE readiness_runs (
    computed_at   TIMESTAMP NOT NULL,
    as_of         DATE,               -- the data's "today": latest referral or assessment date seen
    settings      JSON NOT NULL,      -- ReadinessSettings as JSON (design, mdes, alpha, power, defaults)
    target_n      INTEGER,            -- analysable participants needed from sites (see readiness_timeline)
    version       VARCHAR NOT NULL    -- linkready version
);

-- Outcome completeness and attrition per site, measure, timepoint and subgroup.
CREATE TABLE readiness_completeness (
    site_id        VARCHAR NOT NULL,
    measure        VARCHAR NOT NULL,   -- warehouse.measures code
    timepoint      VARCHAR NOT NULL,   -- baseline | followup
    subgroup_type  VARCHAR NOT NULL,   -- all | sex | ethnic_group | age_band
    subgroup       VARCHAR NOT NULL,   -- 'all' for the overall row; 'unknown' when not recorded
    eligible       BIGINT NOT NULL,    -- people due this measure at this timepoint
    recorded       BIGINT NOT NULL,    -- with a row (any item answered or not)
    scored         BIGINT NOT NULL,    -- with a total under the measure's missing-item rule
    prorated       BIGINT NOT NULL,    -- of scored, totals estimated from partial items
    missing        BIGINT NOT NULL,    -- eligible - scored
    completeness   DOUBLE,             -- scored / eligible (NULL when eligible = 0)
    baseline_scored BIGINT,            -- followup rows: scored at baseline and due follow-up
    retained       BIGINT,             -- followup rows: of baseline_scored, also scored at follow-up
    retention      DOUBLE,             -- retained / baseline_scored
    small_count    BOOLEAN NOT NULL,   -- some count is 1-5: suppress in site views
    PRIMARY KEY (site_id, measure, timepoint, subgroup_type, subgroup)
);

-- Descriptive pre-post change per site and measure (NOT an impact estimate).
CREATE TABLE readiness_change (
    site_id          VARCHAR NOT NULL,
    measure          VARCHAR NOT NULL,
    n_pairs          BIGINT NOT NULL,   -- people scored at both timepoints
    baseline_mean    DOUBLE,
    followup_mean    DOUBLE,
    mean_change      DOUBLE,            -- followup - baseline
    sd_change        DOUBLE,
    ci_low           DOUBLE,            -- 95% t interval of the mean change
    ci_high          DOUBLE,
    higher_is_worse  BOOLEAN NOT NULL,
    reliability      DOUBLE,            -- published reliability used for the RCI (NULL = none)
    reliability_source VARCHAR,
    rci_points       DOUBLE,            -- change needed for reliable change (1.96 * SEdiff)
    reliable_improvement   BIGINT,
    reliable_deterioration BIGINT,
    no_reliable_change     BIGINT,
    cutoff           DOUBLE,            -- clinical cut-off used (NULL = none published)
    cutoff_source    VARCHAR,
    clinically_significant BIGINT,     -- reliable improvement AND moved from clinical to non-clinical
    label            VARCHAR NOT NULL,  -- 'pre-post description, not impact'
    small_count      BOOLEAN NOT NULL,
    PRIMARY KEY (site_id, measure)
);

-- Sample-size target and projected months to reach it, per site (and 'pooled') and outcome.
CREATE TABLE readiness_timeline (
    site_id          VARCHAR NOT NULL,  -- a site id or 'pooled'
    outcome          VARCHAR NOT NULL,  -- a measure code, or 'csc_involvement' (from linked CSC records)
    outcome_source   VARCHAR NOT NULL,  -- measure | csc_record
    design           VARCHAR NOT NULL,  -- individual_rct | cluster_rct | matched_comparison
    mdes             DOUBLE NOT NULL,
    alpha            DOUBLE NOT NULL,
    power            DOUBLE NOT NULL,
    design_effect    DOUBLE NOT NULL,
    n_per_arm        DOUBLE NOT NULL,   -- t-test n per arm before the design effect (unrounded)
    target_n         INTEGER NOT NULL,  -- analysable participants needed from the sites
    monthly_referrals DOUBLE,           -- observed eligible referrals per month
    consent_rate     DOUBLE,
    baseline_rate    DOUBLE,            -- measure outcomes: baseline scored / eligible
    retention        DOUBLE,            -- measure outcomes: baseline -> follow-up
    linkage_recall   DOUBLE,            -- csc_record outcomes: best scenario recall
    linkage_scenario VARCHAR,
    analysable_per_month DOUBLE,
    months_to_target DOUBLE,            -- NULL when nothing analysable accrues
    months_to_target_whole INTEGER,     -- ceil(months_to_target)
    basis            VARCHAR NOT NULL,  -- JSON-ish note of which inputs were observed vs default
    PRIMARY KEY (site_id, outcome, design)
);

-- Loss at every step of the projected recruitment period (n[k] = n[k-1] - lost[k]).
CREATE TABLE readiness_funnel (
    site_id      VARCHAR NOT NULL,      -- a site id or 'pooled'
    outcome      VARCHAR NOT NULL,
    horizon_months INTEGER NOT NULL,    -- the period counted (months_to_target_whole, or the flow window)
    step_no      INTEGER NOT NULL,      -- 1 = referred
    step         VARCHAR NOT NULL,      -- referred | consented | baseline_scored | followed_up | linked
    n            BIGINT NOT NULL,       -- people remaining after this step
    lost         BIGINT NOT NULL,       -- people lost at this step (0 for step 1)
    rate         DOUBLE,                -- share kept from the previous step (NULL for step 1)
    source       VARCHAR NOT NULL,      -- observed | default | linkage_metrics
    PRIMARY KEY (site_id, outcome, step_no)
);

-- One row per site: what a researcher needs to judge readiness at a glance.
CREATE TABLE readiness_summary (
    site_id               VARCHAR PRIMARY KEY,
    primary_outcome       VARCHAR,      -- best candidate measure code (NULL = none usable)
    primary_completeness  DOUBLE,       -- its baseline completeness
    primary_retention     DOUBLE,
    months_to_target      DOUBLE,       -- for the primary outcome
    csc_months_to_target  DOUBLE,       -- for csc_involvement via linkage
    target_n              INTEGER,
    best_linkage_scenario VARCHAR,
    linkage_recall        DOUBLE,
    linkage_precision     DOUBLE,
    linkage_verdict       VARCHAR,      -- feasible | feasible_with_conditions | not_feasible | unknown
    data_gaps             VARCHAR,      -- '; '-separated short statements
    candidates            JSON          -- [{measure, name, baseline_completeness, retention, months_to_target}]
);
