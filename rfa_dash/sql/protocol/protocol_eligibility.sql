-- protocol_eligibility: exactly one row, the eligibility thresholds from the protocol file.
CREATE OR REPLACE TABLE protocol_eligibility AS SELECT
  CAST($min_age AS INTEGER) AS min_age,
  CAST($allowed_levels AS VARCHAR[]) AS allowed_levels,
  CAST($max_levels AS INTEGER) AS max_levels,
  CAST($labs_max_age_days AS INTEGER) AS labs_max_age_days,
  CAST($anc_min AS DECIMAL(18, 6)) AS anc_min,
  CAST($platelets_min AS DECIMAL(18, 6)) AS platelets_min,
  CAST($hemoglobin_min AS DECIMAL(18, 6)) AS hemoglobin_min,
  CAST($ast_alt_max_uln AS DECIMAL(18, 6)) AS ast_alt_max_uln,
  CAST($ast_alt_max_uln_liver_mets AS DECIMAL(18, 6)) AS ast_alt_max_uln_liver_mets,
  CAST($bilirubin_max_uln AS DECIMAL(18, 6)) AS bilirubin_max_uln,
  CAST($bilirubin_below_uln_gilbert AS DECIMAL(18, 6)) AS bilirubin_below_uln_gilbert,
  CAST($albumin_min AS DECIMAL(18, 6)) AS albumin_min,
  CAST($creatinine_max_uln AS DECIMAL(18, 6)) AS creatinine_max_uln,
  CAST($creatinine_clearance_min AS DECIMAL(18, 6)) AS creatinine_clearance_min,
  CAST($near_miss_fraction AS DECIMAL(18, 6)) AS near_miss_fraction
