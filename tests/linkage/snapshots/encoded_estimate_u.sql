-- stage: encoded_estimate_u
SELECT
  c.l_id,
  c.r_id,
  c.rules,
  COALESCE(
    CAST(2.0 * BIT_COUNT("l"."forename_bf" & "r"."forename_bf") / GREATEST((
      "l"."forename_bf_n" + "r"."forename_bf_n"
    ), 1) >= $p1 AS INT) + CAST(2.0 * BIT_COUNT("l"."forename_bf" & "r"."forename_bf") / GREATEST((
      "l"."forename_bf_n" + "r"."forename_bf_n"
    ), 1) >= $p2 AS INT) + CAST(2.0 * BIT_COUNT("l"."forename_bf" & "r"."forename_bf") / GREATEST((
      "l"."forename_bf_n" + "r"."forename_bf_n"
    ), 1) >= $p3 AS INT) + CAST(2.0 * BIT_COUNT("l"."forename_bf" & "r"."forename_bf") / GREATEST((
      "l"."forename_bf_n" + "r"."forename_bf_n"
    ), 1) >= $p4 AS INT),
    -1
  ) AS "g_forename",
  COALESCE(
    CAST(2.0 * BIT_COUNT("l"."surname_bf" & "r"."surname_bf") / GREATEST((
      "l"."surname_bf_n" + "r"."surname_bf_n"
    ), 1) >= $p5 AS INT) + CAST(2.0 * BIT_COUNT("l"."surname_bf" & "r"."surname_bf") / GREATEST((
      "l"."surname_bf_n" + "r"."surname_bf_n"
    ), 1) >= $p6 AS INT) + CAST(2.0 * BIT_COUNT("l"."surname_bf" & "r"."surname_bf") / GREATEST((
      "l"."surname_bf_n" + "r"."surname_bf_n"
    ), 1) >= $p7 AS INT) + CAST(2.0 * BIT_COUNT("l"."surname_bf" & "r"."surname_bf") / GREATEST((
      "l"."surname_bf_n" + "r"."surname_bf_n"
    ), 1) >= $p8 AS INT),
    -1
  ) AS "g_surname",
  CASE
    WHEN "l"."dob_tk" IS NULL OR "r"."dob_tk" IS NULL
    THEN -1
    WHEN "l"."dob_tk" = "r"."dob_tk"
    THEN 5
    WHEN "l"."dob_tk" = "r"."dob_swap_tk"
    THEN 4
    WHEN "l"."dob_ym_tk" = "r"."dob_ym_tk"
    OR "l"."dob_yd_tk" = "r"."dob_yd_tk"
    OR "l"."dob_md_tk" = "r"."dob_md_tk"
    THEN 3
    WHEN "l"."dob_w1_tk" = "r"."dob_w1_tk" OR "l"."dob_w2_tk" = "r"."dob_w2_tk"
    THEN 2
    WHEN "l"."dob_year_tk" = "r"."dob_year_tk"
    THEN 1
    ELSE 0
  END AS "g_dob",
  CASE
    WHEN "l"."sex_tk" IS NULL OR "r"."sex_tk" IS NULL
    THEN -1
    WHEN "l"."sex_tk" = "r"."sex_tk"
    THEN 1
    ELSE 0
  END AS "g_sex",
  CASE
    WHEN "l"."postcode_tk" IS NULL OR "r"."postcode_tk" IS NULL
    THEN -1
    WHEN "l"."postcode_tk" = "r"."postcode_tk"
    THEN 4
    WHEN "l"."pc_sector_tk" = "r"."pc_sector_tk"
    THEN 3
    WHEN "l"."pc_district_tk" = "r"."pc_district_tk"
    THEN 2
    WHEN "l"."pc_area_tk" = "r"."pc_area_tk"
    THEN 1
    ELSE 0
  END AS "g_postcode",
  CASE
    WHEN "l"."nhs_number_tk" IS NULL OR "r"."nhs_number_tk" IS NULL
    THEN -1
    WHEN "l"."nhs_number_tk" = "r"."nhs_number_tk"
    THEN 1
    ELSE 0
  END AS "g_nhs_number"
FROM "_lk_upairs" AS c
JOIN "_lk_left" AS l
  ON "l"."uid" = c.l_id
JOIN "_lk_right" AS r
  ON "r"."uid" = c.r_id;
-- parameters: {"p1": 0.85, "p2": 0.7, "p3": 0.55, "p4": 0.4, "p5": 0.85, "p6": 0.7, "p7": 0.55, "p8": 0.4}
