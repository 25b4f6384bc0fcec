-- near_misses: one row per patient screened on or before $as_of who is
-- ineligible only through lab criteria, each failed one within the protocol's
-- near-miss fraction of its threshold (a candidate for a repeat lab).
WITH e AS (SELECT * FROM eligibility_at($as_of)),
s AS (SELECT s.*, p.* FROM stg_screening s CROSS JOIN protocol_eligibility p),
j AS (
  SELECT e.screening_id, e.screen_date, e.results, s.*,
         e.c_age, e.c_histology, e.c_spine_levels, e.c_pain_or_imaging, e.c_labs_recent,
         e.c_anc, e.c_platelets, e.c_hemoglobin, e.c_ast_alt, e.c_bilirubin, e.c_albumin,
         e.c_renal, e.c_contraception, e.c_pregnant, e.c_cord_compression, e.c_prior_rt,
         e.c_surgical_candidate, e.c_rfa_ineligible, e.c_physician_excluded,
         e.ast_x_uln, e.alt_x_uln, e.bilirubin_x_uln, e.creatinine_x_uln,
         e.creatinine_clearance,
         1 - near_miss_fraction AS lo, 1 + near_miss_fraction AS hi
  FROM e JOIN s USING (screening_id)
), n AS (
  SELECT *,
    -- a failed lab criterion is "near" when its value is within the fraction
    coalesce(c_anc, true) OR anc >= anc_min * lo AS near_anc,
    coalesce(c_platelets, true) OR platelets >= platelets_min * lo AS near_platelets,
    coalesce(c_hemoglobin, true)
      OR (hemoglobin >= hemoglobin_min * lo AND NOT transfused_14d) AS near_hemoglobin,
    coalesce(c_ast_alt, true)
      OR (ast <= CASE WHEN liver_mets THEN ast_alt_max_uln_liver_mets ELSE ast_alt_max_uln END
                 * ast_uln * hi
          AND alt <= CASE WHEN liver_mets THEN ast_alt_max_uln_liver_mets ELSE ast_alt_max_uln END
                 * alt_uln * hi) AS near_ast_alt,
    coalesce(c_bilirubin, true)
      OR bilirubin < CASE WHEN gilbert THEN bilirubin_below_uln_gilbert
                          ELSE bilirubin_max_uln END * bilirubin_uln * hi AS near_bilirubin,
    coalesce(c_albumin, true) OR albumin >= albumin_min * lo AS near_albumin,
    coalesce(c_renal, true)
      OR creatinine <= creatinine_max_uln * creatinine_uln * hi
      OR creatinine_clearance >= CAST(creatinine_clearance_min AS DOUBLE) * CAST(lo AS DOUBLE)
      AS near_renal
  FROM j
)
SELECT screening_id, screen_date,
  concat_ws(';', CASE WHEN NOT c_anc THEN 'anc' END, CASE WHEN NOT c_platelets THEN 'platelets' END,
            CASE WHEN NOT c_hemoglobin THEN 'hemoglobin' END, CASE WHEN NOT c_ast_alt THEN 'ast_alt' END,
            CASE WHEN NOT c_bilirubin THEN 'bilirubin' END, CASE WHEN NOT c_albumin THEN 'albumin' END,
            CASE WHEN NOT c_renal THEN 'renal' END) AS failed,
  anc, platelets, hemoglobin, ast_x_uln, alt_x_uln, bilirubin_x_uln, albumin,
  creatinine_x_uln, creatinine_clearance
FROM n
WHERE list_bool_or(list_transform(results, lambda x: coalesce(NOT x, false)))
  AND coalesce(c_age, true) AND coalesce(c_histology, true) AND coalesce(c_spine_levels, true)
  AND coalesce(c_pain_or_imaging, true) AND coalesce(c_labs_recent, true)
  AND coalesce(c_contraception, true) AND coalesce(c_pregnant, true)
  AND coalesce(c_cord_compression, true) AND coalesce(c_prior_rt, true)
  AND coalesce(c_surgical_candidate, true) AND coalesce(c_rfa_ineligible, true)
  AND coalesce(c_physician_excluded, true)
  AND near_anc AND near_platelets AND near_hemoglobin AND near_ast_alt AND near_bilirubin
  AND near_albumin AND near_renal
ORDER BY screen_date, screening_id
