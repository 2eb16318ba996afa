-- stage: encoded_score
CREATE OR REPLACE TABLE "_lk_scores" AS
SELECT
  *,
  1.0 / (
    1.0 + POW(2.0, -match_weight)
  ) AS probability
FROM (
  SELECT
    c.*,
    CASE
      WHEN "c"."g_forename" = 0
      THEN $p2
      WHEN "c"."g_forename" = 1
      THEN $p3
      WHEN "c"."g_forename" = 2
      THEN $p4
      WHEN "c"."g_forename" = 3
      THEN $p5
      WHEN "c"."g_forename" = 4
      THEN $p6
      ELSE 0.0
    END AS "w_forename",
    CASE
      WHEN "c"."g_surname" = 0
      THEN $p7
      WHEN "c"."g_surname" = 1
      THEN $p8
      WHEN "c"."g_surname" = 2
      THEN $p9
      WHEN "c"."g_surname" = 3
      THEN $p10
      WHEN "c"."g_surname" = 4
      THEN $p11
      ELSE 0.0
    END AS "w_surname",
    CASE
      WHEN "c"."g_dob" = 0
      THEN $p12
      WHEN "c"."g_dob" = 1
      THEN $p13
      WHEN "c"."g_dob" = 2
      THEN $p14
      WHEN "c"."g_dob" = 3
      THEN $p15
      WHEN "c"."g_dob" = 4
      THEN $p16
      WHEN "c"."g_dob" = 5
      THEN $p17
      ELSE 0.0
    END AS "w_dob",
    CASE WHEN "c"."g_sex" = 0 THEN $p18 WHEN "c"."g_sex" = 1 THEN $p19 ELSE 0.0 END AS "w_sex",
    CASE
      WHEN "c"."g_postcode" = 0
      THEN $p20
      WHEN "c"."g_postcode" = 1
      THEN $p21
      WHEN "c"."g_postcode" = 2
      THEN $p22
      WHEN "c"."g_postcode" = 3
      THEN $p23
      WHEN "c"."g_postcode" = 4
      THEN $p24
      ELSE 0.0
    END AS "w_postcode",
    CASE
      WHEN "c"."g_nhs_number" = 0
      THEN $p25
      WHEN "c"."g_nhs_number" = 1
      THEN $p26
      ELSE 0.0
    END AS "w_nhs_number",
    $p1 + CASE
      WHEN "c"."g_forename" = 0
      THEN $p2
      WHEN "c"."g_forename" = 1
      THEN $p3
      WHEN "c"."g_forename" = 2
      THEN $p4
      WHEN "c"."g_forename" = 3
      THEN $p5
      WHEN "c"."g_forename" = 4
      THEN $p6
      ELSE 0.0
    END + CASE
      WHEN "c"."g_surname" = 0
      THEN $p7
      WHEN "c"."g_surname" = 1
      THEN $p8
      WHEN "c"."g_surname" = 2
      THEN $p9
      WHEN "c"."g_surname" = 3
      THEN $p10
      WHEN "c"."g_surname" = 4
      THEN $p11
      ELSE 0.0
    END + CASE
      WHEN "c"."g_dob" = 0
      THEN $p12
      WHEN "c"."g_dob" = 1
      THEN $p13
      WHEN "c"."g_dob" = 2
      THEN $p14
      WHEN "c"."g_dob" = 3
      THEN $p15
      WHEN "c"."g_dob" = 4
      THEN $p16
      WHEN "c"."g_dob" = 5
      THEN $p17
      ELSE 0.0
    END + CASE WHEN "c"."g_sex" = 0 THEN $p18 WHEN "c"."g_sex" = 1 THEN $p19 ELSE 0.0 END + CASE
      WHEN "c"."g_postcode" = 0
      THEN $p20
      WHEN "c"."g_postcode" = 1
      THEN $p21
      WHEN "c"."g_postcode" = 2
      THEN $p22
      WHEN "c"."g_postcode" = 3
      THEN $p23
      WHEN "c"."g_postcode" = 4
      THEN $p24
      ELSE 0.0
    END + CASE
      WHEN "c"."g_nhs_number" = 0
      THEN $p25
      WHEN "c"."g_nhs_number" = 1
      THEN $p26
      ELSE 0.0
    END AS match_weight
  FROM "_lk_comparisons" AS c
) AS s;
-- parameters: {"p1": -9.964340868, "p10": 1.0, "p11": 2.321928095, "p12": -2.584962501, "p13": -1.321928095, "p14": -0.415037499, "p15": 0.415037499, "p16": 1.321928095, "p17": 2.584962501, "p18": -1.0, "p19": 1.0, "p2": -2.321928095, "p20": -2.321928095, "p21": -1.0, "p22": 0.0, "p23": 1.0, "p24": 2.321928095, "p25": -1.0, "p26": 1.0, "p3": -1.0, "p4": 0.0, "p5": 1.0, "p6": 2.321928095, "p7": -2.321928095, "p8": -1.0, "p9": 0.0}
