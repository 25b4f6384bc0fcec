-- Eligibility table macros: they read only the screening staging table and the
-- protocol's thresholds, so they are created as soon as screening is staged
-- (while the other tables are still being checked). Each takes the as-of
-- date, so records dated after it are treated as not yet existing (spec: data cut).

-- eligibility_at: one row per patient screened on or before as_of, each
-- criterion as a three-valued boolean (true pass, false fail, NULL unknown).
-- SQL's three-valued AND/OR gives the spec's rule for free: a criterion fails
-- when a known value fails it whatever the missing ones are, and is unknown
-- when the missing values could decide it.
CREATE OR REPLACE MACRO eligibility_at(as_of) AS TABLE
WITH s AS (
  SELECT s.*, p.*,
         list_filter(list_distinct(list_transform(string_split(s.spine_levels, ';'),
                                                  lambda x: upper(trim(x)))), lambda x: x <> '') AS levels,
         (140 - s.age) * s.weight_kg AS cg_numerator,
         p.creatinine_clearance_min * 72 * s.creatinine AS cg_needed
  FROM stg_screening s CROSS JOIN protocol_eligibility p
  WHERE s.screen_date <= as_of
), c AS (
  SELECT screening_id, screen_date, spine_levels, levels,
         consented AND coalesce(consent_date <= as_of, true) AS consented,
         consent_date,
         age >= min_age AS c_age,
         histology_confirmed AS c_histology,
         CASE WHEN levels IS NULL OR len(levels) = 0 THEN NULL
              WHEN NOT list_bool_and(list_transform(levels,
                     lambda x: regexp_full_match(x, '[CTLS][0-9]{1,2}'))) THEN NULL
              ELSE len(levels) <= max_levels AND list_has_all(allowed_levels, levels)
         END AS c_spine_levels,
         bone_pain OR sre_imaging_predictors AS c_pain_or_imaging,
         date_diff('day', lab_date, screen_date) BETWEEN 0 AND labs_max_age_days
           AS c_labs_recent,
         anc >= anc_min AS c_anc,
         platelets >= platelets_min AS c_platelets,
         hemoglobin >= hemoglobin_min AND NOT transfused_14d AS c_hemoglobin,
         (ast <= ast_alt_max_uln * ast_uln
            OR (liver_mets AND ast <= ast_alt_max_uln_liver_mets * ast_uln))
         AND (alt <= ast_alt_max_uln * alt_uln
            OR (liver_mets AND alt <= ast_alt_max_uln_liver_mets * alt_uln)) AS c_ast_alt,
         bilirubin <= bilirubin_max_uln * bilirubin_uln
           OR (gilbert AND bilirubin < bilirubin_below_uln_gilbert * bilirubin_uln)
           AS c_bilirubin,
         albumin >= albumin_min AS c_albumin,
         -- Cockcroft-Gault without division: (140-age)*weight*f >= 45*72*creatinine,
         -- f = 0.85 for F. With sex unknown it still decides when both f agree.
         creatinine <= creatinine_max_uln * creatinine_uln
           OR CASE sex WHEN 'F' THEN cg_numerator * 0.85 >= cg_needed
                       WHEN 'M' THEN cg_numerator >= cg_needed
                       ELSE CASE WHEN cg_numerator * 0.85 >= cg_needed THEN true
                                 WHEN cg_numerator < cg_needed THEN false END
              END AS c_renal,
         NOT childbearing_potential OR contraception_agreed AS c_contraception,
         NOT pregnant_or_breastfeeding AS c_pregnant,
         NOT cord_compression_or_radicular_pain AS c_cord_compression,
         NOT prior_rt_target AS c_prior_rt,
         NOT surgical_candidate AS c_surgical_candidate,
         NOT rfa_ineligible_lesion AS c_rfa_ineligible,
         NOT physician_excluded AS c_physician_excluded,
         CAST(ast / nullif(ast_uln, 0) AS DOUBLE) AS ast_x_uln,
         CAST(alt / nullif(alt_uln, 0) AS DOUBLE) AS alt_x_uln,
         CAST(bilirubin / nullif(bilirubin_uln, 0) AS DOUBLE) AS bilirubin_x_uln,
         CAST(creatinine / nullif(creatinine_uln, 0) AS DOUBLE) AS creatinine_x_uln,
         CAST(cg_numerator * CASE sex WHEN 'F' THEN 0.85 WHEN 'M' THEN 1 END
              / nullif(72 * creatinine, 0) AS DOUBLE) AS creatinine_clearance,
         date_diff('day', lab_date, screen_date) AS lab_age_days
  FROM s
)
SELECT c.*,
       [c_age, c_histology, c_spine_levels, c_pain_or_imaging, c_labs_recent, c_anc,
        c_platelets, c_hemoglobin, c_ast_alt, c_bilirubin, c_albumin, c_renal,
        c_contraception, c_pregnant, c_cord_compression, c_prior_rt, c_surgical_candidate,
        c_rfa_ineligible, c_physician_excluded] AS results
FROM c;

-- eligibility_status_at: one row per patient screened on or before as_of with
-- the spec's status and the failed and unknown criterion ids in spec order.
CREATE OR REPLACE MACRO eligibility_status_at(as_of) AS TABLE
SELECT screening_id,
  CASE WHEN list_bool_and(list_transform(results, lambda x: coalesce(x, false))) THEN 'eligible'
       WHEN list_bool_or(list_transform(results, lambda x: coalesce(NOT x, false))) THEN 'ineligible'
       ELSE 'incomplete' END AS status,
  concat_ws(';',
    CASE WHEN c_age = false THEN 'age' END,
    CASE WHEN c_histology = false THEN 'histology' END,
    CASE WHEN c_spine_levels = false THEN 'spine_levels' END,
    CASE WHEN c_pain_or_imaging = false THEN 'pain_or_imaging' END,
    CASE WHEN c_labs_recent = false THEN 'labs_recent' END,
    CASE WHEN c_anc = false THEN 'anc' END,
    CASE WHEN c_platelets = false THEN 'platelets' END,
    CASE WHEN c_hemoglobin = false THEN 'hemoglobin' END,
    CASE WHEN c_ast_alt = false THEN 'ast_alt' END,
    CASE WHEN c_bilirubin = false THEN 'bilirubin' END,
    CASE WHEN c_albumin = false THEN 'albumin' END,
    CASE WHEN c_renal = false THEN 'renal' END,
    CASE WHEN c_contraception = false THEN 'contraception' END,
    CASE WHEN c_pregnant = false THEN 'pregnant' END,
    CASE WHEN c_cord_compression = false THEN 'cord_compression' END,
    CASE WHEN c_prior_rt = false THEN 'prior_rt' END,
    CASE WHEN c_surgical_candidate = false THEN 'surgical_candidate' END,
    CASE WHEN c_rfa_ineligible = false THEN 'rfa_ineligible' END,
    CASE WHEN c_physician_excluded = false THEN 'physician_excluded' END) AS failed,
  concat_ws(';',
    CASE WHEN c_age IS NULL THEN 'age' END,
    CASE WHEN c_histology IS NULL THEN 'histology' END,
    CASE WHEN c_spine_levels IS NULL THEN 'spine_levels' END,
    CASE WHEN c_pain_or_imaging IS NULL THEN 'pain_or_imaging' END,
    CASE WHEN c_labs_recent IS NULL THEN 'labs_recent' END,
    CASE WHEN c_anc IS NULL THEN 'anc' END,
    CASE WHEN c_platelets IS NULL THEN 'platelets' END,
    CASE WHEN c_hemoglobin IS NULL THEN 'hemoglobin' END,
    CASE WHEN c_ast_alt IS NULL THEN 'ast_alt' END,
    CASE WHEN c_bilirubin IS NULL THEN 'bilirubin' END,
    CASE WHEN c_albumin IS NULL THEN 'albumin' END,
    CASE WHEN c_renal IS NULL THEN 'renal' END,
    CASE WHEN c_contraception IS NULL THEN 'contraception' END,
    CASE WHEN c_pregnant IS NULL THEN 'pregnant' END,
    CASE WHEN c_cord_compression IS NULL THEN 'cord_compression' END,
    CASE WHEN c_prior_rt IS NULL THEN 'prior_rt' END,
    CASE WHEN c_surgical_candidate IS NULL THEN 'surgical_candidate' END,
    CASE WHEN c_rfa_ineligible IS NULL THEN 'rfa_ineligible' END,
    CASE WHEN c_physician_excluded IS NULL THEN 'physician_excluded' END) AS unknown
FROM eligibility_at(as_of);

-- eligibility_detail_at: one row per patient screened on or before as_of with
-- each criterion's result (pass/fail/unknown) and the computed values behind them.
CREATE OR REPLACE MACRO eligibility_detail_at(as_of) AS TABLE
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
FROM eligibility_at(as_of);
