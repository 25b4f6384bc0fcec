-- eligibility_page: one row per patient, patients $offset+1 .. $offset+$limit
-- (by screening_id) of those screened on or before $as_of: status, failed and
-- unknown criteria and the computed values behind the criteria (x ULN ratios,
-- Cockcroft-Gault clearance in mL/min, lab age in days); n_total is the number
-- screened, for paging. Each criterion's result: criterion_results.sql.
WITH s AS (SELECT * FROM eligibility_status_at($as_of) ORDER BY screening_id
           LIMIT $limit OFFSET $offset)
SELECT s.*, e.screen_date, e.spine_levels AS target_levels, e.consented, e.consent_date,
       e.ast_x_uln, e.alt_x_uln, e.bilirubin_x_uln, e.creatinine_x_uln,
       e.creatinine_clearance, e.lab_age_days,
       (SELECT count(*) FROM stg_screening WHERE screen_date <= $as_of) AS n_total
FROM s JOIN eligibility_at($as_of) e USING (screening_id)
ORDER BY s.screening_id
