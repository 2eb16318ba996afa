-- 0011: nothing a re-delivery replaces is lost. The rows of a superseded or quarantined batch move to
-- the archive schema (same columns, no constraints), from where `linkready restore BATCH` brings them
-- back. Archived identifier rows are restricted data: `linkready purge` deletes them on the same
-- retention dates as the live restricted tables.
CREATE SCHEMA IF NOT EXISTS archive;
CREATE TABLE archive.restricted_la_identifiers AS SELECT * FROM restricted.la_identifiers LIMIT 0;
CREATE TABLE archive.restricted_service_people AS SELECT * FROM restricted.service_people LIMIT 0;
CREATE TABLE archive.children AS SELECT * FROM children LIMIT 0;
CREATE TABLE archive.adults AS SELECT * FROM adults LIMIT 0;
CREATE TABLE archive.cin_episodes AS SELECT * FROM cin_episodes LIMIT 0;
CREATE TABLE archive.child_protection_plans AS SELECT * FROM child_protection_plans LIMIT 0;
CREATE TABLE archive.looked_after_episodes AS SELECT * FROM looked_after_episodes LIMIT 0;
CREATE TABLE archive.looked_after_children AS SELECT * FROM looked_after_children LIMIT 0;
CREATE TABLE archive.service_episodes AS SELECT * FROM service_episodes LIMIT 0;
CREATE TABLE archive.outcome_measurements AS SELECT * FROM outcome_measurements LIMIT 0;
