-- near_misses: one row per patient screened on or before $as_of who is
-- ineligible only through lab criteria (contract: lab), each failed one within
-- the protocol's near-miss fraction of its threshold (a candidate for a
-- repeat lab): the failed criteria in spec order and the values behind them.
WITH lab_only AS (
  SELECT screening_id, string_agg(criterion, ';' ORDER BY position) AS failed
  FROM criterion_results_at($as_of)
  WHERE NOT result
  GROUP BY screening_id
  HAVING bool_and(lab)
), j AS (
  SELECT e.*, s.anc, s.platelets, s.hemoglobin, s.transfused_14d, s.ast, s.ast_uln, s.alt,
         s.alt_uln, s.liver_mets, s.bilirubin, s.bilirubin_uln, s.gilbert, s.albumin,
         s.creatinine, s.creatinine_uln, p.*, l.failed,
         1 - near_miss_fraction AS lo, 1 + near_miss_fraction AS hi
  FROM lab_only l JOIN eligibility_at($as_of) e USING (screening_id)
  JOIN stg_screening s USING (screening_id) CROSS JOIN protocol_eligibility p
), n AS (
  -- one near_<criterion> per lab criterion: passed, unknown, or failed within the fraction
  SELECT *,
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
SELECT screening_id, screen_date, failed,
  anc, platelets, hemoglobin, ast_x_uln, alt_x_uln, bilirubin_x_uln, albumin,
  creatinine_x_uln, creatinine_clearance
FROM n
WHERE COLUMNS('^near_')  -- every near_ column (DuckDB joins the conditions with AND)
ORDER BY screen_date, screening_id
