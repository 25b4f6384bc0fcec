-- ineligible_failures: one row per ineligible patient screened on or before
-- $as_of with the ids of the criteria they fail (an unknown result is not a failure).
SELECT screening_id, list(criterion ORDER BY position) AS failed
FROM criterion_results_at($as_of)
WHERE result = false
GROUP BY screening_id
