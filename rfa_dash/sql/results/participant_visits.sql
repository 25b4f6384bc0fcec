-- participant_visits: one row per protocol visit month of $pid at $as_of: target date,
-- window, visit date, status, pain and opioid use at the visit.
SELECT visit_month, target_date, window_open, window_close, visit_date, status, pain_nrs,
       omed_mg
FROM visit_status_at($as_of)
WHERE participant_id = $pid
ORDER BY visit_month
