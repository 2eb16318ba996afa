-- stage: encoded_count_patterns
SELECT
  rules,
  "g_forename",
  "g_surname",
  "g_dob",
  "g_sex",
  "g_postcode",
  "g_nhs_number",
  COUNT(*) AS n
FROM "_lk_comparisons"
GROUP BY
  rules,
  "g_forename",
  "g_surname",
  "g_dob",
  "g_sex",
  "g_postcode",
  "g_nhs_number";
-- parameters: {}
