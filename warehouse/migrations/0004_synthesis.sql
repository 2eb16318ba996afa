-- 0004 synthesis: focus-group / interview material, codebook, coded segments, themes, framework and
-- triangulation cells, data-availability ratings, and the views the dashboard reads.
-- Conventions (shared/reference/qualitative-synthesis.md §5): offsets are 0-based Unicode code points,
-- end-exclusive, on the PSEUDONYMISED text; identifiers from REFI-QDA files are upper-case GUIDs;
-- originals and the pseudonym key never enter the warehouse. Catalogue rows (data items, dimensions,
-- rating scale) are seeded by synthesis.catalogue.

-- ---------------- context ----------------
CREATE TABLE syn_project (
    project_id          VARCHAR PRIMARY KEY,   -- sha256 of the imported file's name + origin
    name                VARCHAR,
    origin              VARCHAR,                -- the writing tool (Project/@origin)
    creating_user_guid  VARCHAR,
    imported_from       VARCHAR NOT NULL,       -- file name only
    imported_at         TIMESTAMP NOT NULL
);

CREATE TABLE syn_coder (
    coder_id    VARCHAR PRIMARY KEY,            -- REFI User guid (upper case) or a spreadsheet rater id
    name        VARCHAR,
    initials    VARCHAR
);

CREATE TABLE syn_participant (
    participant_id  VARCHAR PRIMARY KEY,        -- '<site_id>:<pseudonym>'
    site_id         VARCHAR NOT NULL,
    pseudonym       VARCHAR NOT NULL,           -- e.g. P03 (never a name)
    role            VARCHAR,
    agency          VARCHAR,
    agency_type     VARCHAR,
    seniority_band  VARCHAR,
    qdpx_guid       VARCHAR
);

CREATE TABLE syn_activity (
    activity_id     VARCHAR PRIMARY KEY,
    site_id         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL CHECK (kind IN ('data_focus_group', 'interview', 'toc_workshop')),
    held_on         DATE,
    n_participants  INTEGER
);

CREATE TABLE syn_document (
    document_id     VARCHAR PRIMARY KEY,        -- REFI TextSource guid (upper case)
    activity_id     VARCHAR,
    site_id         VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    status          VARCHAR NOT NULL CHECK (status IN ('pseudonymised', 'reviewed', 'final')),
    text            VARCHAR NOT NULL,           -- pseudonymised text, '\n' line endings, no BOM
    text_sha256     VARCHAR NOT NULL,
    char_count      INTEGER NOT NULL,           -- code points
    description     VARCHAR,
    project_id      VARCHAR,
    imported_from   VARCHAR
);

CREATE TABLE syn_speaker_turn (
    document_id     VARCHAR NOT NULL,
    turn_no         INTEGER NOT NULL,
    participant_id  VARCHAR,                    -- NULL for facilitators / unknown speakers
    speaker_label   VARCHAR NOT NULL,
    start_char      INTEGER NOT NULL,
    end_char        INTEGER NOT NULL,
    PRIMARY KEY (document_id, turn_no)
);

-- Tokens and counts only: never the original values.
CREATE TABLE syn_anonymisation_log (
    document_id     VARCHAR NOT NULL,
    token           VARCHAR NOT NULL,
    entity_type     VARCHAR NOT NULL,
    n_occurrences   INTEGER NOT NULL,
    method          VARCHAR NOT NULL CHECK (method IN ('roster', 'pattern', 'ner', 'manual')),
    reviewer        VARCHAR,
    reviewed_at     TIMESTAMP
);

-- ---------------- coding ----------------
CREATE TABLE syn_research_question (
    rq_id           VARCHAR PRIMARY KEY,
    text            VARCHAR NOT NULL,
    parent_rq_id    VARCHAR
);

CREATE TABLE syn_codebook_version (
    version_id      INTEGER PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    note            VARCHAR
);

CREATE TABLE syn_code (
    code_id             VARCHAR PRIMARY KEY,    -- REFI Code guid (upper case)
    parent_code_id      VARCHAR,
    name                VARCHAR NOT NULL,
    definition          VARCHAR,                -- REFI Description
    inclusion           VARCHAR,
    exclusion           VARCHAR,
    example             VARCHAR,
    origin              VARCHAR CHECK (origin IN ('deductive', 'inductive')),
    rq_id               VARCHAR,
    is_codable          BOOLEAN NOT NULL DEFAULT TRUE,
    color               VARCHAR,
    sort_order          INTEGER NOT NULL DEFAULT 0,
    version_introduced  INTEGER,
    retired_in_version  INTEGER,
    merged_into_code_id VARCHAR
);

-- One row per Coding: a REFI PlainTextSelection with two Codings becomes two segments
-- sharing selection_id.
CREATE TABLE syn_coded_segment (
    segment_id              VARCHAR PRIMARY KEY,  -- REFI Coding guid (upper case)
    selection_id            VARCHAR NOT NULL,     -- REFI PlainTextSelection guid
    selection_name          VARCHAR,
    document_id             VARCHAR NOT NULL,
    code_id                 VARCHAR NOT NULL,
    coder_id                VARCHAR NOT NULL,
    start_char              INTEGER NOT NULL,
    end_char                INTEGER NOT NULL,
    text_sha256_at_coding   VARCHAR,
    coding_round            INTEGER,
    created_at              TIMESTAMP,
    memo                    VARCHAR,
    CHECK (start_char >= 0 AND start_char < end_char)
);

-- Selections without a Coding (MAXQDA annotations, the spec's own example).
CREATE TABLE syn_annotation (
    annotation_id   VARCHAR PRIMARY KEY,          -- REFI PlainTextSelection guid
    document_id     VARCHAR NOT NULL,
    coder_id        VARCHAR,
    name            VARCHAR,
    start_char      INTEGER NOT NULL,
    end_char        INTEGER NOT NULL,
    body            VARCHAR
);

CREATE TABLE syn_memo (
    memo_id         VARCHAR PRIMARY KEY,
    target_kind     VARCHAR NOT NULL CHECK (target_kind IN ('project', 'document', 'code', 'segment', 'theme', 'finding', 'cell')),
    target_id       VARCHAR,
    author          VARCHAR,
    title           VARCHAR,
    body            VARCHAR NOT NULL,
    bc_phase        SMALLINT,
    created_at      TIMESTAMP
);

-- ---------------- themes and synthesis ----------------
CREATE TABLE syn_theme (
    theme_id        VARCHAR PRIMARY KEY,
    parent_theme_id VARCHAR,
    name            VARCHAR NOT NULL,
    definition      VARCHAR,
    status          VARCHAR NOT NULL DEFAULT 'candidate'
                    CHECK (status IN ('candidate', 'reviewed', 'defined', 'reported', 'discarded')),
    bc_phase        SMALLINT CHECK (bc_phase BETWEEN 1 AND 6),
    rq_id           VARCHAR
);

CREATE TABLE syn_theme_code (
    theme_id    VARCHAR NOT NULL,
    code_id     VARCHAR NOT NULL,
    PRIMARY KEY (theme_id, code_id)
);

CREATE TABLE syn_framework_cell (
    case_kind               VARCHAR NOT NULL CHECK (case_kind IN ('site', 'participant', 'activity')),
    case_id                 VARCHAR NOT NULL,
    theme_id                VARCHAR NOT NULL,
    summary                 VARCHAR,
    supporting_segment_ids  VARCHAR[],
    analyst                 VARCHAR,
    updated_at              TIMESTAMP,
    PRIMARY KEY (case_kind, case_id, theme_id)
);

ALTER TABLE findings ADD COLUMN theme_id VARCHAR;
ALTER TABLE findings ADD COLUMN imported_from VARCHAR;

CREATE TABLE syn_finding_evidence (
    finding_id      VARCHAR NOT NULL,
    evidence_kind   VARCHAR NOT NULL CHECK (evidence_kind IN ('segment', 'admin_metric', 'document', 'workshop_output')),
    evidence_id     VARCHAR NOT NULL,
    role            VARCHAR NOT NULL DEFAULT 'supports' CHECK (role IN ('supports', 'contradicts', 'qualifies')),
    PRIMARY KEY (finding_id, evidence_kind, evidence_id)
);

CREATE TABLE syn_triangulation_cell (
    rq_id               VARCHAR NOT NULL,
    theme_id            VARCHAR,
    finding_id          VARCHAR,
    site_id             VARCHAR,              -- NULL = cross-site
    data_item           VARCHAR,
    dimension           VARCHAR,
    source_a            VARCHAR NOT NULL,
    source_b            VARCHAR NOT NULL,
    convergence         VARCHAR NOT NULL CHECK (convergence IN ('agreement', 'partial_agreement', 'silence', 'dissonance')),
    meaning_match       BOOLEAN,
    prominence_match    BOOLEAN,
    examples_match      BOOLEAN,
    note                VARCHAR,
    assessor            VARCHAR,
    assessed_at         TIMESTAMP
);

CREATE TABLE syn_irr_result (
    run_id          VARCHAR NOT NULL,
    code_id         VARCHAR NOT NULL,
    document_id     VARCHAR,                  -- NULL = pooled over documents
    coders          VARCHAR[] NOT NULL,
    unit            VARCHAR NOT NULL CHECK (unit IN ('char', 'turn', 'paragraph')),
    n_units         BIGINT NOT NULL,
    pct_agreement   DOUBLE,
    cohen_kappa     DOUBLE,                   -- NULL unless exactly two coders
    kripp_alpha     DOUBLE,
    computed_at     TIMESTAMP NOT NULL
);

-- ---------------- data availability ----------------
CREATE TABLE syn_data_item (
    data_item           VARCHAR PRIMARY KEY,
    label               VARCHAR NOT NULL,
    domain              VARCHAR,
    owning_agency       VARCHAR,
    statutory_return    VARCHAR,
    description         VARCHAR
);

CREATE TABLE syn_availability_dimension (
    dimension       VARCHAR PRIMARY KEY,
    label           VARCHAR NOT NULL,
    rq_id           VARCHAR,
    sort_order      INTEGER NOT NULL,
    level_anchors   JSON                    -- {"0": "...", ..., "4": "..."}
);

CREATE TABLE syn_rating_scale (
    rating      SMALLINT PRIMARY KEY,
    label       VARCHAR NOT NULL,
    anchor      VARCHAR NOT NULL
);

CREATE TABLE syn_availability_rating (
    site_id                 VARCHAR NOT NULL,
    data_item               VARCHAR NOT NULL,
    dimension               VARCHAR NOT NULL,
    rating                  SMALLINT CHECK (rating BETWEEN 0 AND 4),   -- NULL = not discussed
    system_name             VARCHAR,
    time_to_access_days     DOUBLE,
    evidence_segment_ids    VARCHAR[],        -- coded segment or selection ids
    source                  VARCHAR NOT NULL CHECK (source IN ('focus_group', 'interview', 'toc_workshop', 'document_review', 'admin_extract')),
    rater                   VARCHAR NOT NULL,
    rated_at                DATE,
    note                    VARCHAR,
    imported_from           VARCHAR,
    PRIMARY KEY (site_id, data_item, dimension, source, rater)
);

CREATE TABLE syn_maturity_rating (
    site_id     VARCHAR NOT NULL,
    framework   VARCHAR NOT NULL CHECK (framework IN ('data_orchard', 'cddo', 'lga')),
    theme       VARCHAR NOT NULL,
    stage       SMALLINT NOT NULL,
    evidence    VARCHAR,
    rater       VARCHAR NOT NULL,
    PRIMARY KEY (site_id, framework, theme, rater)
);

-- ---------------- views (read by the dashboard; columns documented in docs/synthesis.md) ----------------

-- One row per site x data item x dimension: the rating of the most direct source
-- (focus_group > interview > toc_workshop > document_review > admin_extract, then rater id).
CREATE VIEW v_availability_matrix AS
WITH ranked AS (
    SELECT r.*,
           row_number() OVER w AS rn,
           count(r.rating) OVER (PARTITION BY r.site_id, r.data_item, r.dimension) AS n_ratings,
           min(r.rating) OVER (PARTITION BY r.site_id, r.data_item, r.dimension) AS min_rating,
           max(r.rating) OVER (PARTITION BY r.site_id, r.data_item, r.dimension) AS max_rating
    FROM syn_availability_rating r
    WINDOW w AS (
        PARTITION BY r.site_id, r.data_item, r.dimension
        ORDER BY CASE r.source WHEN 'focus_group' THEN 1 WHEN 'interview' THEN 2 WHEN 'toc_workshop' THEN 3
                               WHEN 'document_review' THEN 4 ELSE 5 END, r.rater
    )
)
SELECT k.site_id,
       k.data_item,
       di.label AS data_item_label,
       k.dimension,
       dm.label AS dimension_label,
       dm.sort_order AS dimension_order,
       k.rating,
       sc.label AS rating_label,
       k.time_to_access_days,
       k.system_name,
       k.source,
       k.rater,
       k.n_ratings,
       k.min_rating,
       k.max_rating,
       coalesce(len(k.evidence_segment_ids), 0) AS n_evidence,
       k.note,
       json_extract_string(dm.level_anchors, '$."' || CAST(k.rating AS VARCHAR) || '"') AS dimension_anchor
FROM ranked k
LEFT JOIN syn_data_item di ON di.data_item = k.data_item
LEFT JOIN syn_availability_dimension dm ON dm.dimension = k.dimension
LEFT JOIN syn_rating_scale sc ON sc.rating = k.rating
WHERE k.rn = 1;

-- The coded passages cited as evidence for each rating, with pseudonymous speaker attributes.
CREATE VIEW v_availability_evidence AS
WITH ev AS (
    SELECT r.site_id, r.data_item, r.dimension, r.source, r.rating, unnest(r.evidence_segment_ids) AS evidence_id
    FROM syn_availability_rating r
    WHERE r.evidence_segment_ids IS NOT NULL
),
passages AS (
    SELECT DISTINCT ev.site_id, ev.data_item, ev.dimension, ev.source, ev.rating, ev.evidence_id,
           s.document_id, s.start_char, s.end_char
    FROM ev
    JOIN syn_coded_segment s ON s.segment_id = upper(ev.evidence_id) OR s.selection_id = upper(ev.evidence_id)
)
SELECT p.site_id,
       p.data_item,
       p.dimension,
       p.source,
       p.rating,
       p.evidence_id,
       p.document_id,
       d.title AS document_title,
       a.kind AS activity_kind,
       p.start_char,
       p.end_char,
       substr(d.text, p.start_char + 1, p.end_char - p.start_char) AS quote,
       t.speaker_label,
       pt.pseudonym AS participant,
       pt.role,
       pt.agency
FROM passages p
JOIN syn_document d ON d.document_id = p.document_id
LEFT JOIN syn_activity a ON a.activity_id = d.activity_id
LEFT JOIN syn_speaker_turn t
       ON t.document_id = p.document_id AND t.start_char <= p.start_char AND p.start_char < t.end_char
LEFT JOIN syn_participant pt ON pt.participant_id = t.participant_id;

-- Prevalence (not importance): segments, documents, participants and coders per code and site.
CREATE VIEW v_code_frequency_by_site AS
SELECT d.site_id,
       c.code_id,
       c.name AS code_name,
       c.parent_code_id,
       c.origin,
       count(DISTINCT s.segment_id) AS n_segments,
       count(DISTINCT s.document_id) AS n_documents,
       count(DISTINCT t.participant_id) AS n_participants,
       count(DISTINCT s.coder_id) AS n_coders
FROM syn_coded_segment s
JOIN syn_document d ON d.document_id = s.document_id
JOIN syn_code c ON c.code_id = s.code_id
LEFT JOIN syn_speaker_turn t
       ON t.document_id = s.document_id AND t.start_char < s.end_char AND s.start_char < t.end_char
GROUP BY ALL;

-- Sites x themes: the analyst's charted summary plus the coded material behind it.
CREATE VIEW v_framework_matrix AS
WITH seg AS (
    SELECT d.site_id, tc.theme_id, s.segment_id, s.document_id, s.start_char, s.end_char
    FROM syn_coded_segment s
    JOIN syn_document d ON d.document_id = s.document_id
    JOIN syn_theme_code tc ON tc.code_id = s.code_id
),
counts AS (
    SELECT seg.site_id, seg.theme_id,
           count(DISTINCT seg.segment_id) AS n_segments,
           count(DISTINCT seg.document_id) AS n_documents,
           count(DISTINCT t.participant_id) AS n_participants
    FROM seg
    LEFT JOIN syn_speaker_turn t
           ON t.document_id = seg.document_id AND t.start_char < seg.end_char AND seg.start_char < t.end_char
    GROUP BY ALL
)
SELECT st.site_id,
       th.theme_id,
       th.name AS theme_name,
       th.rq_id,
       th.status AS theme_status,
       fc.summary,
       fc.analyst,
       coalesce(len(fc.supporting_segment_ids), 0) AS n_supporting,
       coalesce(c.n_segments, 0) AS n_segments,
       coalesce(c.n_documents, 0) AS n_documents,
       coalesce(c.n_participants, 0) AS n_participants
FROM sites st
CROSS JOIN syn_theme th
LEFT JOIN syn_framework_cell fc ON fc.case_kind = 'site' AND fc.case_id = st.site_id AND fc.theme_id = th.theme_id
LEFT JOIN counts c ON c.site_id = st.site_id AND c.theme_id = th.theme_id
WHERE th.status <> 'discarded'
  AND (fc.case_id IS NOT NULL OR c.site_id IS NOT NULL
       OR st.site_id IN (SELECT DISTINCT site_id FROM syn_document));

-- Convergence per research question, site and source pair: cells assessed by a researcher
-- (basis 'assessed') plus cells derived from availability ratings given by two sources
-- (basis 'derived': equal = agreement, 1 apart = partial_agreement, 2+ apart = dissonance,
-- rated by one source only = silence, except against admin_extract, which rates few cells).
CREATE VIEW v_triangulation_matrix AS
WITH per_source AS (
    SELECT site_id, data_item, dimension, source,
           CAST(round(avg(rating)) AS INTEGER) AS rating,
           sum(coalesce(len(evidence_segment_ids), 0)) AS n_evidence
    FROM syn_availability_rating
    WHERE rating IS NOT NULL
    GROUP BY ALL
),
site_sources AS (SELECT DISTINCT site_id, source FROM per_source),
pairs AS (
    SELECT a.site_id, a.source AS source_a, b.source AS source_b
    FROM site_sources a JOIN site_sources b ON a.site_id = b.site_id AND a.source < b.source
),
cells AS (SELECT DISTINCT site_id, data_item, dimension FROM per_source),
derived AS (
    SELECT dm.rq_id,
           CAST(NULL AS VARCHAR) AS theme_id,
           CAST(NULL AS VARCHAR) AS finding_id,
           c.site_id, c.data_item, c.dimension, p.source_a, p.source_b,
           CASE WHEN ra.rating IS NULL OR rb.rating IS NULL THEN 'silence'
                WHEN ra.rating = rb.rating THEN 'agreement'
                WHEN abs(ra.rating - rb.rating) = 1 THEN 'partial_agreement'
                ELSE 'dissonance' END AS convergence,
           CASE WHEN ra.rating IS NULL OR rb.rating IS NULL THEN NULL ELSE abs(ra.rating - rb.rating) <= 1 END
               AS meaning_match,
           CASE WHEN ra.rating IS NULL OR rb.rating IS NULL THEN NULL ELSE ra.rating = rb.rating END
               AS prominence_match,
           CASE WHEN ra.rating IS NULL OR rb.rating IS NULL THEN NULL ELSE ra.n_evidence > 0 AND rb.n_evidence > 0 END
               AS examples_match,
           ra.rating AS rating_a,
           rb.rating AS rating_b,
           'derived' AS basis,
           CAST(NULL AS VARCHAR) AS note,
           CAST(NULL AS VARCHAR) AS assessor
    FROM cells c
    JOIN pairs p ON p.site_id = c.site_id
    LEFT JOIN per_source ra ON ra.site_id = c.site_id AND ra.data_item = c.data_item
                           AND ra.dimension = c.dimension AND ra.source = p.source_a
    LEFT JOIN per_source rb ON rb.site_id = c.site_id AND rb.data_item = c.data_item
                           AND rb.dimension = c.dimension AND rb.source = p.source_b
    LEFT JOIN syn_availability_dimension dm ON dm.dimension = c.dimension
    WHERE (ra.rating IS NOT NULL AND rb.rating IS NOT NULL)
       -- admin data speak to few cells: silence is only recorded between qualitative sources
       OR ((ra.rating IS NOT NULL OR rb.rating IS NOT NULL)
           AND p.source_a <> 'admin_extract' AND p.source_b <> 'admin_extract')
)
SELECT rq_id, theme_id, finding_id, site_id, data_item, dimension, source_a, source_b, convergence,
       meaning_match, prominence_match, examples_match,
       CAST(NULL AS INTEGER) AS rating_a, CAST(NULL AS INTEGER) AS rating_b,
       'assessed' AS basis, note, assessor
FROM syn_triangulation_cell
UNION ALL
SELECT * FROM derived;

-- Every coded segment with its quote, code, themes and pseudonymous speaker attributes.
CREATE VIEW v_quotes AS
SELECT s.segment_id,
       s.selection_id,
       d.site_id,
       s.document_id,
       d.title AS document_title,
       a.kind AS activity_kind,
       s.code_id,
       c.name AS code_name,
       (SELECT list(tc.theme_id ORDER BY tc.theme_id) FROM syn_theme_code tc WHERE tc.code_id = s.code_id) AS theme_ids,
       s.coder_id,
       s.start_char,
       s.end_char,
       substr(d.text, s.start_char + 1, s.end_char - s.start_char) AS quote,
       t.speaker_label,
       pt.pseudonym AS participant,
       pt.role,
       pt.agency
FROM syn_coded_segment s
JOIN syn_document d ON d.document_id = s.document_id
JOIN syn_code c ON c.code_id = s.code_id
LEFT JOIN syn_activity a ON a.activity_id = d.activity_id
LEFT JOIN syn_speaker_turn t
       ON t.document_id = s.document_id AND t.start_char <= s.start_char AND s.start_char < t.end_char
LEFT JOIN syn_participant pt ON pt.participant_id = t.participant_id;

-- Code x case (site and participant): segment counts, long form.
CREATE VIEW v_code_by_case AS
SELECT site_id, coalesce(participant, '(unattributed)') AS participant, code_id, code_name,
       count(DISTINCT segment_id) AS n_segments
FROM v_quotes
GROUP BY ALL;

-- Pairs of codes applied by the same coder to overlapping spans of the same document.
CREATE VIEW v_code_cooccurrence AS
SELECT d.site_id,
       a.code_id AS code_a,
       b.code_id AS code_b,
       count(*) AS n_overlaps,
       count(DISTINCT a.document_id) AS n_documents
FROM syn_coded_segment a
JOIN syn_coded_segment b
  ON a.document_id = b.document_id AND a.coder_id = b.coder_id AND a.code_id < b.code_id
 AND a.start_char < b.end_char AND b.start_char < a.end_char
JOIN syn_document d ON d.document_id = a.document_id
GROUP BY ALL;

-- Per-site maturity profile: mean availability rating per dimension, on a five-stage scale
-- (stage names after the Data Orchard Data Maturity Framework v2.1, CC BY-NC-SA 4.0).
CREATE VIEW v_maturity_profile AS
SELECT m.site_id,
       m.dimension,
       m.dimension_label,
       m.dimension_order,
       count(m.rating) AS n_items,
       avg(m.rating) AS mean_rating,
       CASE CAST(round(avg(m.rating)) AS INTEGER)
            WHEN 0 THEN 'Unaware' WHEN 1 THEN 'Emerging' WHEN 2 THEN 'Learning'
            WHEN 3 THEN 'Developing' WHEN 4 THEN 'Mastering' END AS stage
FROM v_availability_matrix m
WHERE m.rating IS NOT NULL
GROUP BY ALL;
