-- eligibility_detail: one row per patient screened on or before $as_of with
-- each criterion's result (pass/fail/unknown) and the computed values behind
-- them (x ULN ratios, Cockcroft-Gault clearance in mL/min, lab age in days).
SELECT * FROM eligibility_detail_at($as_of) ORDER BY screening_id
