-- 0010: CIN and SSDA903 years accumulate. A child's CIN episodes and looked-after episodes of two
-- collection years are both kept, so their tables gain collection_year and lose the PRIMARY KEYs that
-- held one copy per child (each batch is unique by construction: the validator refuses repeated keys
-- within a file). DuckDB cannot drop a constraint, so each table is rebuilt (as in 0007), existing rows
-- keeping their values; their collection_year is taken from their batch where it is known.

CREATE TABLE cin_episodes_0010 (
    person_key       VARCHAR NOT NULL,
    la_code          VARCHAR NOT NULL,
    cin_details_id   INTEGER NOT NULL,   -- per-child sequence within one census (not a DfE item)
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
    collection_year  INTEGER
);
INSERT INTO cin_episodes_0010 (person_key, la_code, cin_details_id, referral_date, referral_source, primary_need,
    closure_date, closure_reason, referral_nfa, assessment_factors, domestic_abuse, s47_count, batch_id)
SELECT person_key, la_code, cin_details_id, referral_date, referral_source, primary_need, closure_date,
    closure_reason, referral_nfa, assessment_factors, domestic_abuse, s47_count, batch_id FROM cin_episodes;
DROP TABLE cin_episodes;
ALTER TABLE cin_episodes_0010 RENAME TO cin_episodes;

CREATE TABLE child_protection_plans_0010 (
    person_key        VARCHAR NOT NULL,
    la_code           VARCHAR NOT NULL,
    cin_details_id    INTEGER NOT NULL,
    cpp_id            INTEGER NOT NULL,
    start_date        DATE NOT NULL,
    end_date          DATE,
    initial_category  VARCHAR,
    latest_category   VARCHAR,
    batch_id          BIGINT NOT NULL,
    collection_year   INTEGER
);
INSERT INTO child_protection_plans_0010 (person_key, la_code, cin_details_id, cpp_id, start_date, end_date,
    initial_category, latest_category, batch_id)
SELECT person_key, la_code, cin_details_id, cpp_id, start_date, end_date, initial_category, latest_category,
    batch_id FROM child_protection_plans;
DROP TABLE child_protection_plans;
ALTER TABLE child_protection_plans_0010 RENAME TO child_protection_plans;

CREATE TABLE looked_after_episodes_0010 (
    person_key   VARCHAR NOT NULL,
    la_code      VARCHAR NOT NULL,
    episode_no   INTEGER NOT NULL,  -- per child within one return, in DECOM order
    start_date   DATE NOT NULL,   -- DECOM
    rne          VARCHAR,
    legal_status VARCHAR,
    cin_code     VARCHAR,
    placement    VARCHAR,
    end_date     DATE,            -- DEC
    reason_end   VARCHAR,         -- REC
    batch_id     BIGINT NOT NULL,
    collection_year INTEGER
);
INSERT INTO looked_after_episodes_0010 (person_key, la_code, episode_no, start_date, rne, legal_status, cin_code,
    placement, end_date, reason_end, batch_id)
SELECT person_key, la_code, episode_no, start_date, rne, legal_status, cin_code, placement, end_date, reason_end,
    batch_id FROM looked_after_episodes;
DROP TABLE looked_after_episodes;
ALTER TABLE looked_after_episodes_0010 RENAME TO looked_after_episodes;

-- SSDA903 header rows (one per child and return): sex, birth year and ethnicity only in this zone.
CREATE TABLE looked_after_children (
    person_key      VARCHAR NOT NULL,
    la_code         VARCHAR NOT NULL,
    sex             VARCHAR,
    birth_year      INTEGER,
    ethnicity       VARCHAR,
    upn_known       BOOLEAN,           -- a UPN (not an UN reason code) was given
    mother          VARCHAR,           -- MOTHER: 1 = the young woman is a mother
    batch_id        BIGINT NOT NULL,
    collection_year INTEGER
);
