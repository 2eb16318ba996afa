-- stage: estimate_u
SELECT
  c.l_id,
  c.r_id,
  c.rules,
  CASE
    WHEN "l"."forename" IS NULL OR "r"."forename" IS NULL
    THEN -1
    WHEN "l"."forename" = "r"."forename"
    THEN 6
    WHEN "l"."forename_canon" = "r"."forename_canon"
    THEN 5
    WHEN JARO_WINKLER_SIMILARITY("l"."forename", "r"."forename") >= $p1
    THEN 4
    WHEN "l"."forename_mp" = "r"."forename_mp"
    THEN 3
    WHEN (
      CONTAINS("l"."forename", ' ') OR CONTAINS("r"."forename", ' ')
    )
    AND LIST_HAS_ANY(STRING_SPLIT("l"."forename", ' '), STRING_SPLIT("r"."forename", ' '))
    THEN 2
    WHEN JARO_WINKLER_SIMILARITY("l"."forename", "r"."forename") >= $p2
    THEN 1
    ELSE 0
  END AS "g_forename",
  CASE
    WHEN "l"."surname" IS NULL OR "r"."surname" IS NULL
    THEN -1
    WHEN "l"."surname" = "r"."surname"
    THEN 6
    WHEN "l"."surname_canon" = "r"."surname_canon"
    THEN 5
    WHEN JARO_WINKLER_SIMILARITY("l"."surname", "r"."surname") >= $p3
    THEN 4
    WHEN "l"."surname_mp" = "r"."surname_mp"
    THEN 3
    WHEN (
      CONTAINS("l"."surname", ' ') OR CONTAINS("r"."surname", ' ')
    )
    AND LIST_HAS_ANY(STRING_SPLIT("l"."surname", ' '), STRING_SPLIT("r"."surname", ' '))
    THEN 2
    WHEN JARO_WINKLER_SIMILARITY("l"."surname", "r"."surname") >= $p4
    THEN 1
    ELSE 0
  END AS "g_surname",
  CASE
    WHEN "l"."dob" IS NULL OR "r"."dob" IS NULL
    THEN -1
    WHEN "l"."dob" = "r"."dob"
    THEN 6
    WHEN (
      "l"."dob_expected" OR "r"."dob_expected"
    )
    AND ABS(DATE_DIFF('day', "l"."dob_date", "r"."dob_date")) <= $p5
    THEN 5
    WHEN "l"."dob" = "r"."dob_swap"
    THEN 4
    WHEN (
      "l"."dob_year" = "r"."dob_year" AND "l"."dob_month" = "r"."dob_month"
    )
    OR (
      "l"."dob_year" = "r"."dob_year" AND "l"."dob_day" = "r"."dob_day"
    )
    OR (
      "l"."dob_month" = "r"."dob_month" AND "l"."dob_day" = "r"."dob_day"
    )
    THEN 3
    WHEN ABS(DATE_DIFF('day', "l"."dob_date", "r"."dob_date")) <= $p6
    THEN 2
    WHEN "l"."dob_year" = "r"."dob_year"
    THEN 1
    ELSE 0
  END AS "g_dob",
  CASE
    WHEN "l"."sex" IS NULL OR "r"."sex" IS NULL
    THEN -1
    WHEN "l"."sex" = "r"."sex"
    THEN 1
    ELSE 0
  END AS "g_sex",
  CASE
    WHEN "l"."postcode" IS NULL OR "r"."postcode" IS NULL
    THEN -1
    WHEN "l"."postcode" = "r"."postcode"
    THEN 4
    WHEN "l"."pc_sector" = "r"."pc_sector"
    THEN 3
    WHEN "l"."pc_district" = "r"."pc_district"
    THEN 2
    WHEN "l"."pc_area" = "r"."pc_area"
    THEN 1
    ELSE 0
  END AS "g_postcode",
  CASE
    WHEN "l"."nhs_number" IS NULL OR "r"."nhs_number" IS NULL
    THEN -1
    WHEN "l"."nhs_number" = "r"."nhs_number"
    THEN 2
    WHEN CASE
      WHEN LENGTH("l"."nhs_number") = LENGTH("r"."nhs_number")
      THEN HAMMING("l"."nhs_number", "r"."nhs_number")
      ELSE NULL
    END <= $p7
    THEN 1
    ELSE 0
  END AS "g_nhs_number"
FROM "_lk_upairs" AS c
JOIN "_lk_left" AS l
  ON "l"."uid" = c.l_id
JOIN "_lk_right" AS r
  ON "r"."uid" = c.r_id;
-- parameters: {"p1": 0.92, "p2": 0.8, "p3": 0.92, "p4": 0.8, "p5": 60, "p6": 31, "p7": 2}
