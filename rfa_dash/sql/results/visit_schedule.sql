-- visit_schedule: one row per randomized participant per visit month as of
-- $as_of: target date, window, visit date and status (no arm: coordinators see it).
SELECT participant_id, visit_month, target_date, window_open, window_close,
       visit_date, status
FROM visit_status_at($as_of)
ORDER BY participant_id, visit_month
