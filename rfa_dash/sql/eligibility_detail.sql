-- eligibility_detail: one row per patient screened on or before $as_of with
-- each criterion's result (pass/fail/unknown) and the computed values behind
-- them (x ULN ratios, Cockcroft-Gault clearance in mL/min, lab age in days).
SELECT screening_id, screen_date, spine_levels AS target_levels, consented, consent_date,
  CASE c_age WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS age,
  CASE c_histology WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS histology,
  CASE c_spine_levels WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS spine_levels,
  CASE c_pain_or_imaging WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS pain_or_imaging,
  CASE c_labs_recent WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS labs_recent,
  CASE c_anc WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS anc,
  CASE c_platelets WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS platelets,
  CASE c_hemoglobin WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS hemoglobin,
  CASE c_ast_alt WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS ast_alt,
  CASE c_bilirubin WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS bilirubin,
  CASE c_albumin WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS albumin,
  CASE c_renal WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS renal,
  CASE c_contraception WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS contraception,
  CASE c_pregnant WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS pregnant,
  CASE c_cord_compression WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS cord_compression,
  CASE c_prior_rt WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS prior_rt,
  CASE c_surgical_candidate WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS surgical_candidate,
  CASE c_rfa_ineligible WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS rfa_ineligible,
  CASE c_physician_excluded WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS physician_excluded,
  ast_x_uln, alt_x_uln, bilirubin_x_uln, creatinine_x_uln, creatinine_clearance, lab_age_days
FROM eligibility_at($as_of)
ORDER BY screening_id
