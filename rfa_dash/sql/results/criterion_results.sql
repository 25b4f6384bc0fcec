-- criterion_results: one row per patient screened on or before $as_of whose
-- screening_id is at or after $first and at most $last, per criterion (in
-- screening_id, then spec order): the result as pass, fail or unknown.
SELECT screening_id, criterion,
       CASE result WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END AS result
FROM criterion_results_at($as_of)
WHERE screening_id BETWEEN $first AND $last
ORDER BY screening_id, position
