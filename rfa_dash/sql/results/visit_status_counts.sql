-- visit_status_counts: one row per visit status as of $as_of, with the count.
SELECT status, count(*) AS n
FROM visit_status_at($as_of)
GROUP BY status
ORDER BY status
