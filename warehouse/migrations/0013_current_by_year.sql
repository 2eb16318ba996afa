-- 0013: reading year-keyed tables without double counting. Since 0010 the CIN census and SSDA903 tables
-- keep every collection year loaded (one current batch per LA, return and year), so a child whose case
-- stayed open appears in two years' returns: counting cin_episodes, child_protection_plans or
-- looked_after_episodes across years counts that child's open episode twice. The live tables hold
-- current batches only (superseded and quarantined rows are in the archive schema, 0011).
--
-- v_current_batches      the current batch of each key (kind = the return's table, LA or site, year).
-- v_child_latest_year    per child and return: the latest collection year loaded, and how many years.
-- v_*_latest             the rows of each child's latest collection year only: what a reader that wants
--                        "the child's episodes as last returned" should count.
-- A reader that wants one year filters the table on collection_year instead.

CREATE VIEW v_current_batches AS
SELECT batch_id, batch_key, kind, la_code, site_id, collection_year, file, rows_loaded, loaded_at
FROM load_batches
WHERE status = 'current';

CREATE VIEW v_child_latest_year AS
SELECT person_key, la_code, 'cin' AS return_name, max(collection_year) AS latest_year,
       count(DISTINCT collection_year) AS years
FROM cin_episodes GROUP BY person_key, la_code
UNION ALL
SELECT person_key, la_code, 'ssda903' AS return_name, max(collection_year) AS latest_year,
       count(DISTINCT collection_year) AS years
FROM looked_after_episodes GROUP BY person_key, la_code;

CREATE VIEW v_cin_episodes_latest AS
SELECT e.person_key, e.la_code, e.cin_details_id, e.referral_date, e.referral_source, e.primary_need,
       e.closure_date, e.closure_reason, e.referral_nfa, e.assessment_factors, e.domestic_abuse, e.s47_count,
       e.batch_id, e.collection_year
FROM cin_episodes e
JOIN v_child_latest_year y ON y.return_name = 'cin' AND y.person_key = e.person_key AND y.la_code = e.la_code
 AND e.collection_year IS NOT DISTINCT FROM y.latest_year;

CREATE VIEW v_child_protection_plans_latest AS
SELECT p.person_key, p.la_code, p.cin_details_id, p.cpp_id, p.start_date, p.end_date, p.initial_category,
       p.latest_category, p.batch_id, p.collection_year
FROM child_protection_plans p
JOIN v_child_latest_year y ON y.return_name = 'cin' AND y.person_key = p.person_key AND y.la_code = p.la_code
 AND p.collection_year IS NOT DISTINCT FROM y.latest_year;

CREATE VIEW v_looked_after_episodes_latest AS
SELECT e.person_key, e.la_code, e.episode_no, e.start_date, e.rne, e.legal_status, e.cin_code, e.placement,
       e.end_date, e.reason_end, e.batch_id, e.collection_year
FROM looked_after_episodes e
JOIN v_child_latest_year y ON y.return_name = 'ssda903' AND y.person_key = e.person_key AND y.la_code = e.la_code
 AND e.collection_year IS NOT DISTINCT FROM y.latest_year;
