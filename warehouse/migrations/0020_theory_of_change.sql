-- 0020 theory of change (issue 19): each site's ToC per version as nodes, links with their
-- assumptions, evidence for links and nodes, and the candidate evidence sources of each outcome.
-- Vocabulary (node kinds, source kinds, evidence kinds, strengths) lives in warehouse/toc.py;
-- rows are written by warehouse.toc.store_toc, one version per import that changes the model.

CREATE TABLE toc_model (
    site_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    title           VARCHAR NOT NULL,
    imported_from   VARCHAR,                  -- file name only (lineage)
    imported_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (site_id, version)
);

CREATE TABLE toc_node (
    site_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    node_id         VARCHAR NOT NULL,         -- the workshop's short id (N1, A2, O3 ...)
    kind            VARCHAR NOT NULL,         -- warehouse.toc.NODE_KINDS
    label           VARCHAR NOT NULL,
    description     VARCHAR,
    sort_order      INTEGER NOT NULL,
    PRIMARY KEY (site_id, version, node_id)
);

CREATE TABLE toc_link (
    site_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    link_id         VARCHAR NOT NULL,
    from_node       VARCHAR NOT NULL,
    to_node         VARCHAR NOT NULL,
    assumption      VARCHAR,                  -- what must hold for the arrow to work
    label           VARCHAR,
    sort_order      INTEGER NOT NULL,
    PRIMARY KEY (site_id, version, link_id)
);

CREATE TABLE toc_evidence (
    site_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    evidence_id     VARCHAR NOT NULL,
    target_id       VARCHAR NOT NULL,         -- a link id (its assumption) or a node id
    kind            VARCHAR NOT NULL,         -- desk_research | coded_segment
    reference       VARCHAR NOT NULL,         -- citation, or a coded segment / selection GUID
    strength        VARCHAR,                  -- strong | moderate | weak | none (desk research)
    note            VARCHAR,
    sort_order      INTEGER NOT NULL,
    PRIMARY KEY (site_id, version, evidence_id)
);

CREATE TABLE toc_outcome_source (
    site_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    outcome_id      VARCHAR NOT NULL,         -- an outcome node
    source_kind     VARCHAR NOT NULL,         -- measure | csc_outcome | ssda903_outcome | site_data_item
    reference       VARCHAR NOT NULL,         -- measure code, CSC or 903 outcome, synthesis data item
    note            VARCHAR,
    sort_order      INTEGER NOT NULL,
    PRIMARY KEY (site_id, version, outcome_id, source_kind, reference)
);
