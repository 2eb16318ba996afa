-- 0001 core: reference data, the two zones, loading lineage, linkage runs, findings.
-- Analytic zone = schema main (pseudonymous keys only; what the dashboard reads).
-- Restricted zone = schema restricted (identifiers for linkage, rejected rows, ground truth).

CREATE SCHEMA IF NOT EXISTS restricted;

CREATE TABLE sites (
    site_id     VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    provider    VARCHAR NOT NULL,
    population  VARCHAR NOT NULL
);

CREATE TABLE local_authorities (
    la_code     VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    site_id     VARCHAR NOT NULL REFERENCES sites (site_id),
    code_status VARCHAR NOT NULL
);

-- One row per file loaded. A corrected file supersedes the earlier batch of the same path.
CREATE SEQUENCE load_batch_seq START 1;
CREATE TABLE load_batches (
    batch_id        BIGINT PRIMARY KEY DEFAULT nextval('load_batch_seq'),
    drop_id         VARCHAR NOT NULL,          -- sha256 of manifest (or of the file list)
    file            VARCHAR NOT NULL,          -- path relative to the drop
    kind            VARCHAR NOT NULL,          -- cin_census | ssda903_header | ssda903_episodes | la_identifiers | site_people | site_outcomes | truth_links
    site_id         VARCHAR,
    la_code         VARCHAR,
    sha256          VARCHAR NOT NULL,
    rows_read       BIGINT NOT NULL,
    rows_loaded     BIGINT NOT NULL,
    rows_rejected   BIGINT NOT NULL,
    loaded_at       TIMESTAMP NOT NULL,
    status          VARCHAR NOT NULL DEFAULT 'current',   -- current | superseded
    supersedes      BIGINT                                  -- batch_id of the version it replaced
);

-- ---------------- restricted zone ----------------
CREATE TABLE restricted.la_identifiers (
    batch_id     BIGINT NOT NULL,
    la_code      VARCHAR NOT NULL,
    la_child_id  VARCHAR NOT NULL,
    person_key   VARCHAR NOT NULL,
    forename     VARCHAR,
    surname      VARCHAR,
    dob          DATE,
    expected_dob DATE,
    sex          VARCHAR,
    postcode     VARCHAR,
    nhs_number   VARCHAR,
    upn          VARCHAR,
    former_upn   VARCHAR,
    ethnicity    VARCHAR,
    retain_until DATE,
    PRIMARY KEY (la_code, la_child_id)
);

CREATE TABLE restricted.service_people (
    batch_id        BIGINT NOT NULL,
    site_id         VARCHAR NOT NULL,
    record_id       VARCHAR NOT NULL,
    person_key      VARCHAR NOT NULL,
    family_id       VARCHAR,
    role            VARCHAR NOT NULL,
    forename        VARCHAR,
    surname         VARCHAR,
    dob             DATE,
    expected_dob    DATE,
    sex             VARCHAR,
    postcode        VARCHAR,
    nhs_number      VARCHAR,
    ethnicity       VARCHAR,
    referral_date   DATE,
    referral_source VARCHAR,
    la_code         VARCHAR,
    retain_until    DATE,
    PRIMARY KEY (site_id, record_id)
);

CREATE TABLE restricted.rejects (
    batch_id    BIGINT NOT NULL,
    file        VARCHAR NOT NULL,
    row_number  BIGINT,
    field       VARCHAR,
    rule        VARCHAR NOT NULL,
    message     VARCHAR NOT NULL,
    original    VARCHAR,          -- the original row as JSON/text (restricted: may hold identifiers)
    retain_until DATE
);

-- Ground truth (synthetic drops only): which service record is which LA record.
CREATE TABLE restricted.truth_links (
    site_id         VARCHAR NOT NULL,
    site_record_id  VARCHAR NOT NULL,
    la_code         VARCHAR NOT NULL,
    la_child_id     VARCHAR NOT NULL,
    PRIMARY KEY (site_id, site_record_id, la_code, la_child_id)
);

CREATE TABLE restricted.purge_log (
    purged_at   TIMESTAMP NOT NULL,
    before_date DATE NOT NULL,
    table_name  VARCHAR NOT NULL,
    rows_deleted BIGINT NOT NULL
);

-- ---------------- analytic zone (pseudonymous keys only) ----------------
-- A person seen in an LA extract (child) or a site's records (child or adult).
CREATE TABLE children (
    person_key   VARCHAR PRIMARY KEY,    -- HMAC-SHA256 of source + id, key held outside the DB
    source       VARCHAR NOT NULL,       -- la | site
    site_id      VARCHAR NOT NULL,
    la_code      VARCHAR,
    sex          VARCHAR,
    ethnicity    VARCHAR,
    birth_year   INTEGER,                -- never the date of birth
    unborn       BOOLEAN NOT NULL DEFAULT FALSE,
    age_band     VARCHAR,                -- at referral (site) or at census reference date (LA)
    batch_id     BIGINT NOT NULL
);

CREATE TABLE adults (
    person_key   VARCHAR PRIMARY KEY,
    site_id      VARCHAR NOT NULL,
    role         VARCHAR NOT NULL,       -- victim_parent | harm_parent
    sex          VARCHAR,
    ethnicity    VARCHAR,
    age_band     VARCHAR,
    batch_id     BIGINT NOT NULL
);

CREATE TABLE cin_episodes (
    person_key       VARCHAR NOT NULL,
    la_code          VARCHAR NOT NULL,
    cin_details_id   INTEGER NOT NULL,   -- per-child sequence (not a DfE item)
    referral_date    DATE NOT NULL,
    referral_source  VARCHAR,
    primary_need     VARCHAR,
    closure_date     DATE,
    closure_reason   VARCHAR,
    referral_nfa     BOOLEAN,
    assessment_factors VARCHAR[],
    domestic_abuse   BOOLEAN NOT NULL DEFAULT FALSE,   -- any assessment factor 3A/3B/3C
    s47_count        INTEGER NOT NULL DEFAULT 0,
    batch_id         BIGINT NOT NULL,
    PRIMARY KEY (person_key, cin_details_id)
);

CREATE TABLE child_protection_plans (
    person_key        VARCHAR NOT NULL,
    la_code           VARCHAR NOT NULL,
    cin_details_id    INTEGER NOT NULL,
    cpp_id            INTEGER NOT NULL,
    start_date        DATE NOT NULL,
    end_date          DATE,
    initial_category  VARCHAR,
    latest_category   VARCHAR,
    batch_id          BIGINT NOT NULL,
    PRIMARY KEY (person_key, cin_details_id, cpp_id)
);

CREATE TABLE looked_after_episodes (
    person_key   VARCHAR NOT NULL,
    la_code      VARCHAR NOT NULL,
    episode_no   INTEGER NOT NULL,
    start_date   DATE NOT NULL,   -- DECOM
    rne          VARCHAR,
    legal_status VARCHAR,
    cin_code     VARCHAR,
    placement    VARCHAR,
    end_date     DATE,            -- DEC
    reason_end   VARCHAR,         -- REC
    batch_id     BIGINT NOT NULL,
    PRIMARY KEY (person_key, episode_no)
);

CREATE TABLE service_episodes (
    person_key      VARCHAR PRIMARY KEY,
    site_id         VARCHAR NOT NULL,
    family_key      VARCHAR,
    role            VARCHAR NOT NULL,
    la_code         VARCHAR,
    referral_date   DATE,
    referral_source VARCHAR,
    end_date        DATE,
    end_reason      VARCHAR,
    sex             VARCHAR,
    ethnicity       VARCHAR,
    age_band        VARCHAR,
    has_nhs_number  BOOLEAN,
    batch_id        BIGINT NOT NULL
);

CREATE TABLE outcome_measurements (
    person_key    VARCHAR NOT NULL,
    site_id       VARCHAR NOT NULL,
    measure       VARCHAR NOT NULL,
    timepoint     VARCHAR NOT NULL,   -- baseline | followup
    assessed_date DATE,
    items         INTEGER[],          -- NULL element = item missing
    n_missing     INTEGER,
    total         DOUBLE,             -- NULL when the measure's missing-item rule gives no score
    batch_id      BIGINT NOT NULL,
    PRIMARY KEY (person_key, measure, timepoint)
);

CREATE SEQUENCE linkage_run_seq START 1;
CREATE TABLE linkage_runs (
    run_id       BIGINT PRIMARY KEY DEFAULT nextval('linkage_run_seq'),
    started_at   TIMESTAMP NOT NULL,
    seconds      DOUBLE,
    settings     JSON,
    versions     JSON,
    seed         BIGINT,
    status       VARCHAR NOT NULL
);

-- Metrics per run, site, scenario and subgroup (subgroup_type 'all' for the overall row).
CREATE TABLE linkage_metrics (
    run_id          BIGINT NOT NULL,
    site_id         VARCHAR NOT NULL,
    scenario        VARCHAR NOT NULL,
    subgroup_type   VARCHAR NOT NULL,
    subgroup        VARCHAR NOT NULL,
    n_records       BIGINT,
    candidate_pairs BIGINT,
    links           BIGINT,
    true_matches    BIGINT,
    true_positives  BIGINT,
    precision       DOUBLE,
    recall          DOUBLE,
    f1              DOUBLE,
    match_rate      DOUBLE,
    clerical_review BIGINT,
    expected_known_share DOUBLE,   -- share of programme children expected to be known to CSC
    basis           VARCHAR NOT NULL,   -- measured | estimated
    PRIMARY KEY (run_id, site_id, scenario, subgroup_type, subgroup)
);

CREATE TABLE linkage_pairs (
    run_id       BIGINT NOT NULL,
    site_id      VARCHAR NOT NULL,
    scenario     VARCHAR NOT NULL,
    left_key     VARCHAR NOT NULL,   -- service person_key
    right_key    VARCHAR NOT NULL,   -- LA person_key
    match_weight DOUBLE NOT NULL,
    probability  DOUBLE NOT NULL,
    is_link      BOOLEAN NOT NULL,
    explanation  JSON                 -- per-comparison weights
);

-- Focus-group findings (deepened by the synthesis migration).
CREATE TABLE findings (
    finding_id  VARCHAR PRIMARY KEY,
    site_id     VARCHAR,              -- NULL = cross-site
    rq_id       VARCHAR,
    statement   VARCHAR NOT NULL,
    confidence  VARCHAR,
    status      VARCHAR
);
