-- stage: score
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
      WHEN NOT "c"."tf_forename" IS NULL
      THEN LOG2($p9 / GREATEST("c"."tf_forename", $p10))
      ELSE 0.0
    END AS "tfa_forename",
    CASE
      WHEN "c"."g_surname" = 0
      THEN $p11
      WHEN "c"."g_surname" = 1
      THEN $p12
      WHEN "c"."g_surname" = 2
      THEN $p13
      WHEN "c"."g_surname" = 3
      THEN $p14
      WHEN "c"."g_surname" = 4
      THEN $p15
      WHEN "c"."g_surname" = 5
      THEN $p16
      WHEN "c"."g_surname" = 6
      THEN $p17
      ELSE 0.0
    END AS "w_surname",
    CASE
      WHEN NOT "c"."tf_surname" IS NULL
      THEN LOG2($p18 / GREATEST("c"."tf_surname", $p19))
      ELSE 0.0
    END AS "tfa_surname",
    CASE
      WHEN "c"."g_dob" = 0
      THEN $p20
      WHEN "c"."g_dob" = 1
      THEN $p21
      WHEN "c"."g_dob" = 2
      THEN $p22
      WHEN "c"."g_dob" = 3
      THEN $p23
      WHEN "c"."g_dob" = 4
      THEN $p24
      WHEN "c"."g_dob" = 5
      THEN $p25
      WHEN "c"."g_dob" = 6
      THEN $p26
      ELSE 0.0
    END AS "w_dob",
    CASE WHEN "c"."g_sex" = 0 THEN $p27 WHEN "c"."g_sex" = 1 THEN $p28 ELSE 0.0 END AS "w_sex",
    CASE
      WHEN "c"."g_postcode" = 0
      THEN $p29
      WHEN "c"."g_postcode" = 1
      THEN $p30
      WHEN "c"."g_postcode" = 2
      THEN $p31
      WHEN "c"."g_postcode" = 3
      THEN $p32
      WHEN "c"."g_postcode" = 4
      THEN $p33
      ELSE 0.0
    END AS "w_postcode",
    CASE
      WHEN "c"."g_nhs_number" = 0
      THEN $p34
      WHEN "c"."g_nhs_number" = 1
      THEN $p35
      WHEN "c"."g_nhs_number" = 2
      THEN $p36
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
      WHEN NOT "c"."tf_forename" IS NULL
      THEN LOG2($p9 / GREATEST("c"."tf_forename", $p10))
      ELSE 0.0
    END + CASE
      WHEN "c"."g_surname" = 0
      THEN $p11
      WHEN "c"."g_surname" = 1
      THEN $p12
      WHEN "c"."g_surname" = 2
      THEN $p13
      WHEN "c"."g_surname" = 3
      THEN $p14
      WHEN "c"."g_surname" = 4
      THEN $p15
      WHEN "c"."g_surname" = 5
      THEN $p16
      WHEN "c"."g_surname" = 6
      THEN $p17
      ELSE 0.0
    END + CASE
      WHEN NOT "c"."tf_surname" IS NULL
      THEN LOG2($p18 / GREATEST("c"."tf_surname", $p19))
      ELSE 0.0
    END + CASE
      WHEN "c"."g_dob" = 0
      THEN $p20
      WHEN "c"."g_dob" = 1
      THEN $p21
      WHEN "c"."g_dob" = 2
      THEN $p22
      WHEN "c"."g_dob" = 3
      THEN $p23
      WHEN "c"."g_dob" = 4
      THEN $p24
      WHEN "c"."g_dob" = 5
      THEN $p25
      WHEN "c"."g_dob" = 6
      THEN $p26
      ELSE 0.0
    END + CASE WHEN "c"."g_sex" = 0 THEN $p27 WHEN "c"."g_sex" = 1 THEN $p28 ELSE 0.0 END + CASE
      WHEN "c"."g_postcode" = 0
      THEN $p29
      WHEN "c"."g_postcode" = 1
      THEN $p30
      WHEN "c"."g_postcode" = 2
      THEN $p31
      WHEN "c"."g_postcode" = 3
      THEN $p32
      WHEN "c"."g_postcode" = 4
      THEN $p33
      ELSE 0.0
    END + CASE
      WHEN "c"."g_nhs_number" = 0
      THEN $p34
      WHEN "c"."g_nhs_number" = 1
      THEN $p35
      WHEN "c"."g_nhs_number" = 2
      THEN $p36
      ELSE 0.0
    END AS match_weight
  FROM "_lk_comparisons" AS c
) AS s;
-- parameters: {"p1": -9.964340868, "p10": 0.0005, "p11": -2.807354922, "p12": -1.584962501, "p13": -0.736965594, "p14": 0.0, "p15": 0.736965594, "p16": 1.584962501, "p17": 2.807354922, "p18": 0.035714286, "p19": 0.0005, "p2": -2.807354922, "p20": -2.807354922, "p21": -1.584962501, "p22": -0.736965594, "p23": 0.0, "p24": 0.736965594, "p25": 1.584962501, "p26": 2.807354922, "p27": -1.0, "p28": 1.0, "p29": -2.321928095, "p3": -1.584962501, "p30": -1.0, "p31": 0.0, "p32": 1.0, "p33": 2.321928095, "p34": -1.584962501, "p35": 0.0, "p36": 1.584962501, "p4": -0.736965594, "p5": 0.0, "p6": 0.736965594, "p7": 1.584962501, "p8": 2.807354922, "p9": 0.035714286}
