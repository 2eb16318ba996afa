-- 0007: restricted.la_identifiers (la_code, la_child_id) and children (person_key) lose their
-- PRIMARY KEY indexes. Building those ART indexes was about half the cost of a large identifier
-- load; uniqueness is now enforced by the loader instead: the validator's duplicate_key rule within
-- a file, and a check over the affected keys inside the drop's transaction (warehouse/loading.py),
-- which refuses the whole drop. DuckDB cannot drop a constraint, so each table is rebuilt with the
-- same columns in the same order.

CREATE TABLE restricted.la_identifiers_0007 (
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
    retain_until DATE
);
INSERT INTO restricted.la_identifiers_0007 SELECT * FROM restricted.la_identifiers;
DROP TABLE restricted.la_identifiers;
ALTER TABLE restricted.la_identifiers_0007 RENAME TO la_identifiers;

CREATE TABLE children_0007 (
    person_key   VARCHAR NOT NULL,       -- HMAC-SHA256 of source + id; unique (enforced by the loader)
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
INSERT INTO children_0007 SELECT * FROM children;
DROP TABLE children;
ALTER TABLE children_0007 RENAME TO children;
