-- 0012: the SSDA903 outcome tables the study needs (the CLA outcome extract). One row per child and
-- return in looked_after_outcomes (OC2: children looked after continuously for 12 months at 31 March)
-- and one per period in looked_after_missing. Pseudonymous keys only; no date of birth. Yes/no items
-- are stored as booleans (DfE codes 1/0), SDQ as the score and the reason it is missing.
CREATE TABLE looked_after_outcomes (
    person_key            VARCHAR NOT NULL,
    la_code               VARCHAR NOT NULL,
    sdq_score             INTEGER,
    sdq_reason            VARCHAR,   -- SDQ1-SDQ5: why no score
    convicted             BOOLEAN,
    health_check          BOOLEAN,
    immunisations         BOOLEAN,
    teeth_check           BOOLEAN,
    health_assessment     BOOLEAN,
    substance_misuse      BOOLEAN,
    intervention_received BOOLEAN,
    intervention_offered  BOOLEAN,
    batch_id              BIGINT NOT NULL,
    collection_year       INTEGER
);

CREATE TABLE looked_after_missing (
    person_key      VARCHAR NOT NULL,
    la_code         VARCHAR NOT NULL,
    missing_type    VARCHAR,           -- M missing, A away from placement without authorisation
    start_date      DATE NOT NULL,     -- MIS_START
    end_date        DATE,              -- MIS_END
    batch_id        BIGINT NOT NULL,
    collection_year INTEGER
);

CREATE TABLE archive.looked_after_outcomes AS SELECT * FROM looked_after_outcomes LIMIT 0;
CREATE TABLE archive.looked_after_missing AS SELECT * FROM looked_after_missing LIMIT 0;
