-- screening_missing: one row per screened patient in $ids, with one boolean
-- per eligibility input column: true when the value is missing.
SELECT screening_id,
  age IS NULL AS age, sex IS NULL AS sex, weight_kg IS NULL AS weight_kg,
  spine_levels IS NULL AS spine_levels, histology_confirmed IS NULL AS histology_confirmed,
  bone_pain IS NULL AS bone_pain, sre_imaging_predictors IS NULL AS sre_imaging_predictors,
  lab_date IS NULL AS lab_date, anc IS NULL AS anc, platelets IS NULL AS platelets,
  hemoglobin IS NULL AS hemoglobin, transfused_14d IS NULL AS transfused_14d,
  ast IS NULL AS ast, ast_uln IS NULL AS ast_uln, alt IS NULL AS alt, alt_uln IS NULL AS alt_uln,
  liver_mets IS NULL AS liver_mets, bilirubin IS NULL AS bilirubin,
  bilirubin_uln IS NULL AS bilirubin_uln, gilbert IS NULL AS gilbert,
  albumin IS NULL AS albumin, creatinine IS NULL AS creatinine,
  creatinine_uln IS NULL AS creatinine_uln,
  childbearing_potential IS NULL AS childbearing_potential,
  contraception_agreed IS NULL AS contraception_agreed,
  pregnant_or_breastfeeding IS NULL AS pregnant_or_breastfeeding,
  cord_compression_or_radicular_pain IS NULL AS cord_compression_or_radicular_pain,
  prior_rt_target IS NULL AS prior_rt_target, surgical_candidate IS NULL AS surgical_candidate,
  rfa_ineligible_lesion IS NULL AS rfa_ineligible_lesion,
  physician_excluded IS NULL AS physician_excluded
FROM stg_screening
WHERE list_contains($ids, screening_id)
