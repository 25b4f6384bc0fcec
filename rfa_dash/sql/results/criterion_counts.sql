-- criterion_counts: one row per eligibility criterion (spec order) with the
-- number of patients screened on or before $as_of who fail it and who are
-- unknown on it.
WITH e AS (SELECT results FROM eligibility_at($as_of)),
ids AS (SELECT unnest(['age', 'histology', 'spine_levels', 'pain_or_imaging', 'labs_recent', 'anc', 'platelets', 'hemoglobin', 'ast_alt', 'bilirubin', 'albumin', 'renal', 'contraception', 'pregnant', 'cord_compression', 'prior_rt', 'surgical_candidate', 'rfa_ineligible', 'physician_excluded']) AS criterion, generate_subscripts(['age', 'histology', 'spine_levels', 'pain_or_imaging', 'labs_recent', 'anc', 'platelets', 'hemoglobin', 'ast_alt', 'bilirubin', 'albumin', 'renal', 'contraception', 'pregnant', 'cord_compression', 'prior_rt', 'surgical_candidate', 'rfa_ineligible', 'physician_excluded'], 1) AS k)
SELECT ids.criterion,
       count(*) FILTER (WHERE e.results[ids.k] = false) AS failed,
       count(*) FILTER (WHERE e.results[ids.k] IS NULL AND e.results IS NOT NULL) AS unknown
FROM ids LEFT JOIN e ON true
GROUP BY ids.criterion, ids.k ORDER BY ids.k
