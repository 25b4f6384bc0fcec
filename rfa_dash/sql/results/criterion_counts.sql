-- criterion_counts: one row per eligibility criterion (spec order) with its
-- label and the number of patients screened on or before $as_of who fail it
-- and who are unknown on it.
SELECT k.criterion, k.label,
       count(*) FILTER (WHERE r.result = false) AS failed,
       count(*) FILTER (WHERE r.result IS NULL AND r.screening_id IS NOT NULL) AS unknown
FROM protocol_criteria k LEFT JOIN criterion_results_at($as_of) r USING (criterion)
GROUP BY k.criterion, k.label, k.position ORDER BY k.position
