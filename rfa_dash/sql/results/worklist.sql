-- worklist: one row per visit a coordinator must act on as of $as_of: overdue
-- (most overdue first), due now (window closing soonest first), upcoming visits
-- whose window opens within $horizon_days days, and last 'record_missed': overdue
-- visits of a participant seen at a later visit since the window closed (the
-- visit can no longer be done; it is to be recorded as missed). Never the arm.
WITH v AS (SELECT * FROM visit_status_at($as_of)),
last_seen AS (
  SELECT participant_id, max(visit_date) AS last_visit_date
  FROM v WHERE status LIKE 'completed%' GROUP BY participant_id
)
SELECT CASE WHEN status = 'overdue' AND l.last_visit_date > v.window_close THEN 4
            WHEN status = 'overdue' THEN 1 WHEN status = 'due' THEN 2 ELSE 3 END AS priority,
       CASE WHEN status = 'overdue' AND l.last_visit_date > v.window_close
            THEN 'record_missed' ELSE status END AS action, v.participant_id, v.visit_month, v.target_date, v.window_open,
       v.window_close, v.days_overdue,
       CASE WHEN status = 'due' THEN date_diff('day', CAST($as_of AS DATE), window_close)
            END AS days_until_close,
       CASE WHEN status = 'upcoming' THEN date_diff('day', CAST($as_of AS DATE), window_open)
            END AS days_until_open,
       l.last_visit_date
FROM v LEFT JOIN last_seen l USING (participant_id)
WHERE status IN ('overdue', 'due')
   OR (status = 'upcoming' AND window_open <= CAST($as_of AS DATE) + CAST($horizon_days AS INTEGER))
ORDER BY priority, days_overdue DESC NULLS LAST, days_until_close, days_until_open,
         participant_id, visit_month
