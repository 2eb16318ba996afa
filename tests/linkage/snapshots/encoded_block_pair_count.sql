-- stage: encoded_block_pair_count
SELECT
  SUM(CAST(a.n AS DOUBLE) * b.n)
FROM (
  SELECT
    "bk_dob_forename_initial",
    COUNT(*) AS n
  FROM "_lk_left"
  WHERE
    NOT "bk_dob_forename_initial" IS NULL
  GROUP BY
    "bk_dob_forename_initial"
) AS a
JOIN (
  SELECT
    "bk_dob_forename_initial",
    COUNT(*) AS n
  FROM "_lk_right"
  WHERE
    NOT "bk_dob_forename_initial" IS NULL
  GROUP BY
    "bk_dob_forename_initial"
) AS b
  USING ("bk_dob_forename_initial");
-- parameters: {}
