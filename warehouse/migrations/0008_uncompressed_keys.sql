-- 0008: identifier and key columns whose values are (almost) all distinct are stored uncompressed.
-- DuckDB's string compression (DICT_FSST) first tries a dictionary, which cannot help when every
-- value is distinct, then trains FSST symbol tables; on a million-row identifier extract that
-- analysis was about half of the load's storage cost (bench/load.py) for a saving of roughly half of
-- these columns' bytes. person_key is a random 32-hex HMAC and compresses least of all. Low-
-- cardinality columns (sex, ethnicity, age band, postcode district, names) keep their compression.
-- DuckDB cannot change a column's compression in place, so each table is rebuilt with the same
-- columns in the same order (as in 0007).

CREATE TABLE restricted.la_identifiers_0008 (
    batch_id     BIGINT NOT NULL,
    la_code      VARCHAR NOT NULL,
    la_child_id  VARCHAR NOT NULL USING COMPRESSION uncompressed,
    person_key   VARCHAR NOT NULL USING COMPRESSION uncompressed,
    forename     VARCHAR,
    surname      VARCHAR,
    dob          DATE,
    expected_dob DATE,
    sex          VARCHAR,
    postcode     VARCHAR,
    nhs_number   VARCHAR USING COMPRESSION uncompressed,
    upn          VARCHAR USING COMPRESSION uncompressed,
    former_upn   VARCHAR,
    ethnicity    VARCHAR,
    retain_until DATE
);
INSERT INTO restricted.la_identifiers_0008 SELECT * FROM restricted.la_identifiers;
DROP TABLE restricted.la_identifiers;
ALTER TABLE restricted.la_identifiers_0008 RENAME TO la_identifiers;

CREATE TABLE children_0008 (
    person_key   VARCHAR NOT NULL USING COMPRESSION uncompressed,  -- HMAC-SHA256 of source + id; unique (loader)
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
INSERT INTO children_0008 SELECT * FROM children;
DROP TABLE children;
ALTER TABLE children_0008 RENAME TO children;
