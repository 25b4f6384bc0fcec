-- visit_adherence_by_quarter: one row per calendar quarter in which visit
-- windows closed (on or before $as_of), with adherence and in-window rate of
-- those visits (same formula as visit_adherence).
WITH s AS (
  SELECT CAST(date_trunc('quarter', window_close) AS DATE) AS quarter, status
  FROM visit_status_at($as_of)
  WHERE window_close <= $as_of
    AND status IN ('completed', 'completed_early', 'completed_late', 'missed', 'overdue')
)
SELECT quarter,
       count(*) FILTER (WHERE status LIKE 'completed%') AS done,
       count(*) FILTER (WHERE status = 'completed') AS in_window,
       count(*) AS expected,
       CAST(count(*) FILTER (WHERE status LIKE 'completed%') AS DOUBLE) / count(*) AS adherence,
       CAST(count(*) FILTER (WHERE status = 'completed') AS DOUBLE) / count(*) AS in_window_rate
FROM s GROUP BY quarter ORDER BY quarter
