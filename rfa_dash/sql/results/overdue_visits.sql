-- overdue_visits: one row per overdue visit as of $as_of, most overdue first.
SELECT participant_id, visit_month, window_close, days_overdue
FROM visit_status_at($as_of)
WHERE status = 'overdue'
ORDER BY days_overdue DESC, participant_id, visit_month
