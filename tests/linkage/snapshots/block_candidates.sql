-- stage: block_candidates
CREATE OR REPLACE TABLE "_lk_candidates" AS
SELECT
  l_id,
  r_id,
  BIT_OR(bit) AS rules
FROM (
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p1 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."nhs_number" = "r"."nhs_number"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p2 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."dob" = "r"."dob" AND "l"."forename_init" = "r"."forename_init"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p3 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."dob" = "r"."dob" AND "l"."surname_init" = "r"."surname_init"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p4 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."forename_mp" = "r"."forename_mp" AND "l"."surname_mp" = "r"."surname_mp"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p5 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."forename" = "r"."forename" AND "l"."surname" = "r"."surname"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p6 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."surname_mp" = "r"."surname_mp"
    AND "l"."dob_year" = "r"."dob_year"
    AND "l"."dob_month" = "r"."dob_month"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p7 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."forename_canon" = "r"."forename_canon"
    AND "l"."dob_year" = "r"."dob_year"
    AND "l"."dob_month" = "r"."dob_month"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p8 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."surname" = "r"."surname" AND "l"."dob" = "r"."dob"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p9 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."forename" = "r"."forename" AND "l"."dob" = "r"."dob"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p10 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."postcode" = "r"."postcode" AND "l"."dob_year" = "r"."dob_year"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p11 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."dob" = "r"."dob" AND "l"."pc_district" = "r"."pc_district"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p12 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."dob" = "r"."dob" AND "l"."postcode" = "r"."postcode"
) AS u
GROUP BY
  l_id,
  r_id;
-- parameters: {"p1": 1, "p10": 512, "p11": 1024, "p12": 2048, "p2": 2, "p3": 4, "p4": 8, "p5": 16, "p6": 32, "p7": 64, "p8": 128, "p9": 256}
