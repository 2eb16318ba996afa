-- stage: encoded_block_candidates
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
    ON "l"."bk_nhs_number" = "r"."bk_nhs_number"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p2 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_dob_forename_initial" = "r"."bk_dob_forename_initial"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p3 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_dob_surname_initial" = "r"."bk_dob_surname_initial"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p4 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_names_phonetic_year" = "r"."bk_names_phonetic_year"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p5 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_names_phonetic_district" = "r"."bk_names_phonetic_district"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p6 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_names_exact_year" = "r"."bk_names_exact_year"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p7 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_names_exact_district" = "r"."bk_names_exact_district"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p8 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_surname_year_month" = "r"."bk_surname_year_month"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p9 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_forename_year_month" = "r"."bk_forename_year_month"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p10 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_surname_dob" = "r"."bk_surname_dob"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p11 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_forename_dob" = "r"."bk_forename_dob"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p12 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_postcode_year" = "r"."bk_postcode_year"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p13 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_dob_district" = "r"."bk_dob_district"
  UNION ALL
  SELECT
    "l"."uid" AS l_id,
    "r"."uid" AS r_id,
    CAST($p14 AS BIGINT) AS bit
  FROM "_lk_left" AS l
  JOIN "_lk_right" AS r
    ON "l"."bk_dob_postcode" = "r"."bk_dob_postcode"
) AS u
GROUP BY
  l_id,
  r_id;
-- parameters: {"p1": 1, "p10": 512, "p11": 1024, "p12": 2048, "p13": 4096, "p14": 8192, "p2": 2, "p3": 4, "p4": 8, "p5": 16, "p6": 32, "p7": 64, "p8": 128, "p9": 256}
