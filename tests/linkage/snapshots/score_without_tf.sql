-- stage: score_without_tf
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
      WHEN "c"."g_forename" = 5
      THEN $p7
      WHEN "c"."g_forename" = 6
      THEN $p8
      ELSE 0.0
    END AS "w_forename",
    CASE
      WHEN "c"."g_surname" = 0
      THEN $p9
      WHEN "c"."g_surname" = 1
      THEN $p10
      WHEN "c"."g_surname" = 2
      THEN $p11
      WHEN "c"."g_surname" = 3
      THEN $p12
      WHEN "c"."g_surname" = 4
      THEN $p13
      WHEN "c"."g_surname" = 5
      THEN $p14
      WHEN "c"."g_surname" = 6
      THEN $p15
      ELSE 0.0
    END AS "w_surname",
    CASE
      WHEN "c"."g_dob" = 0
      THEN $p16
      WHEN "c"."g_dob" = 1
      THEN $p17
      WHEN "c"."g_dob" = 2
      THEN $p18
      WHEN "c"."g_dob" = 3
      THEN $p19
      WHEN "c"."g_dob" = 4
      THEN $p20
      WHEN "c"."g_dob" = 5
      THEN $p21
      WHEN "c"."g_dob" = 6
      THEN $p22
      ELSE 0.0
    END AS "w_dob",
    CASE WHEN "c"."g_sex" = 0 THEN $p23 WHEN "c"."g_sex" = 1 THEN $p24 ELSE 0.0 END AS "w_sex",
    CASE
      WHEN "c"."g_postcode" = 0
      THEN $p25
      WHEN "c"."g_postcode" = 1
      THEN $p26
      WHEN "c"."g_postcode" = 2
      THEN $p27
      WHEN "c"."g_postcode" = 3
      THEN $p28
      WHEN "c"."g_postcode" = 4
      THEN $p29
      ELSE 0.0
    END AS "w_postcode",
    CASE
      WHEN "c"."g_nhs_number" = 0
      THEN $p30
      WHEN "c"."g_nhs_number" = 1
      THEN $p31
      WHEN "c"."g_nhs_number" = 2
      THEN $p32
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
      WHEN "c"."g_forename" = 5
      THEN $p7
      WHEN "c"."g_forename" = 6
      THEN $p8
      ELSE 0.0
    END + CASE
      WHEN "c"."g_surname" = 0
      THEN $p9
      WHEN "c"."g_surname" = 1
      THEN $p10
      WHEN "c"."g_surname" = 2
      THEN $p11
      WHEN "c"."g_surname" = 3
      THEN $p12
      WHEN "c"."g_surname" = 4
      THEN $p13
      WHEN "c"."g_surname" = 5
      THEN $p14
      WHEN "c"."g_surname" = 6
      THEN $p15
      ELSE 0.0
    END + CASE
      WHEN "c"."g_dob" = 0
      THEN $p16
      WHEN "c"."g_dob" = 1
      THEN $p17
      WHEN "c"."g_dob" = 2
      THEN $p18
      WHEN "c"."g_dob" = 3
      THEN $p19
      WHEN "c"."g_dob" = 4
      THEN $p20
      WHEN "c"."g_dob" = 5
      THEN $p21
      WHEN "c"."g_dob" = 6
      THEN $p22
      ELSE 0.0
    END + CASE WHEN "c"."g_sex" = 0 THEN $p23 WHEN "c"."g_sex" = 1 THEN $p24 ELSE 0.0 END + CASE
      WHEN "c"."g_postcode" = 0
      THEN $p25
      WHEN "c"."g_postcode" = 1
      THEN $p26
      WHEN "c"."g_postcode" = 2
      THEN $p27
      WHEN "c"."g_postcode" = 3
      THEN $p28
      WHEN "c"."g_postcode" = 4
      THEN $p29
      ELSE 0.0
    END + CASE
      WHEN "c"."g_nhs_number" = 0
      THEN $p30
      WHEN "c"."g_nhs_number" = 1
      THEN $p31
      WHEN "c"."g_nhs_number" = 2
      THEN $p32
      ELSE 0.0
    END AS match_weight
  FROM "_lk_comparisons" AS c
) AS s;
-- parameters: {"p1": -9.964340868, "p10": -1.584962501, "p11": -0.736965594, "p12": 0.0, "p13": 0.736965594, "p14": 1.584962501, "p15": 2.807354922, "p16": -2.807354922, "p17": -1.584962501, "p18": -0.736965594, "p19": 0.0, "p2": -2.807354922, "p20": 0.736965594, "p21": 1.584962501, "p22": 2.807354922, "p23": -1.0, "p24": 1.0, "p25": -2.321928095, "p26": -1.0, "p27": 0.0, "p28": 1.0, "p29": 2.321928095, "p3": -1.584962501, "p30": -1.584962501, "p31": 0.0, "p32": 1.584962501, "p4": -0.736965594, "p5": 0.0, "p6": 0.736965594, "p7": 1.584962501, "p8": 2.807354922, "p9": -2.807354922}
