-- stage: block_pair_count
SELECT
  SUM(CAST(a.n AS DOUBLE) * b.n)
FROM (
  SELECT
    "dob",
    "forename_init",
    COUNT(*) AS n
  FROM "_lk_left"
  WHERE
    NOT "dob" IS NULL AND NOT "forename_init" IS NULL
  GROUP BY
    "dob",
    "forename_init"
) AS a
JOIN (
  SELECT
    "dob",
    "forename_init",
    COUNT(*) AS n
  FROM "_lk_right"
  WHERE
    NOT "dob" IS NULL AND NOT "forename_init" IS NULL
  GROUP BY
    "dob",
    "forename_init"
) AS b
  USING ("dob", "forename_init");
-- parameters: {}
