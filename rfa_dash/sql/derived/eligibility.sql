-- Eligibility table macros: they read only the screening staging table and the
-- protocol's thresholds, so they are created as soon as screening is staged
-- (while the other tables are still being checked). Each takes the as-of
-- date, so records dated after it are treated as not yet existing (spec: data cut).

-- consented_by: whether a patient counts as consented at the cut as_of: consent
-- given, and dated on or before the cut (or not dated; data-rules: data cut).
CREATE OR REPLACE MACRO consented_by(consented, consent_date, as_of) AS
  consented AND coalesce(consent_date <= as_of, true);

-- eligibility_at: one row per patient screened on or before as_of, each
-- criterion as a three-valued boolean (true pass, false fail, NULL unknown).
-- SQL's three-valued AND/OR gives the spec's rule for free: a criterion fails
-- when a known value fails it whatever the missing ones are, and is unknown
-- when the missing values could decide it.
CREATE OR REPLACE MACRO eligibility_at(as_of) AS TABLE
WITH z AS (
  -- a weight, creatinine or upper limit of normal of 0 is allowed by the contract but no
  -- real value (checks/screening.sql warns): unknown here, so that no criterion passes
  -- on it, as one would by dividing by zero
  SELECT * REPLACE (nullif(weight_kg, 0) AS weight_kg, nullif(creatinine, 0) AS creatinine,
                    nullif(creatinine_uln, 0) AS creatinine_uln, nullif(ast_uln, 0) AS ast_uln,
                    nullif(alt_uln, 0) AS alt_uln, nullif(bilirubin_uln, 0) AS bilirubin_uln)
  FROM stg_screening WHERE screen_date <= as_of
), s AS (
  SELECT s.*, p.*,
         list_filter(list_distinct(list_transform(string_split(s.spine_levels, ';'),
                                                  lambda x: upper(trim(x)))), lambda x: x <> '') AS levels,
         (140 - s.age) * s.weight_kg AS cg_numerator,
         p.creatinine_clearance_min * 72 * s.creatinine AS cg_needed
  FROM z s CROSS JOIN protocol_eligibility p
), c AS (
  SELECT screening_id, screen_date, spine_levels, levels,
         consented_by(consented, consent_date, as_of) AS consented,
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
-- results: every c_ rule as one list, read only as a whole (does every criterion pass?
-- does any fail?), never by position: a criterion's own result is read by its name
-- (criterion_results_at).
SELECT c.*, list_value(*COLUMNS('^c_')) AS results FROM c;

-- criterion_results_at: one row per patient screened on or before as_of per
-- criterion (protocol_criteria: the contract's criteria, in spec order): its
-- position, whether it is a lab criterion, and the result (true pass, false
-- fail, NULL unknown). Each c_<id> column of eligibility_at is matched to its
-- criterion by name. Counts, tables, incomplete screenings and near misses are
-- derived from this one, by criterion.
CREATE OR REPLACE MACRO criterion_results_at(as_of) AS TABLE
WITH u AS (
  FROM (SELECT screening_id, COLUMNS('^c_') FROM eligibility_at(as_of))
  UNPIVOT INCLUDE NULLS (result FOR rule IN (COLUMNS('^c_')))
)
SELECT u.screening_id, k.criterion, CAST(k.position AS BIGINT) AS position, k.lab, u.result
FROM u JOIN protocol_criteria k ON u.rule = 'c_' || k.criterion;

-- eligibility_status_at: one row per patient screened on or before as_of with
-- the spec's status and the failed and unknown criterion ids in spec order.
CREATE OR REPLACE MACRO eligibility_status_at(as_of) AS TABLE
SELECT screening_id,
  CASE WHEN bool_and(coalesce(result, false)) THEN 'eligible'
       WHEN bool_or(coalesce(NOT result, false)) THEN 'ineligible'
       ELSE 'incomplete' END AS status,
  coalesce(string_agg(criterion, ';' ORDER BY position) FILTER (WHERE result = false), '')
    AS failed,
  coalesce(string_agg(criterion, ';' ORDER BY position) FILTER (WHERE result IS NULL), '')
    AS unknown
FROM criterion_results_at(as_of)
GROUP BY screening_id;
