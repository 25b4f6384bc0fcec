-- last_change: one row: the last day on or before $as_of on which a record is dated or a
-- visit window closes (the day after it, the last visit can turn overdue); after both,
-- no count behind the progression criteria changes but the expected recruitment.
SELECT greatest(
  (SELECT max(screen_date) FROM stg_screening WHERE screen_date <= $as_of),
  (SELECT max(consent_date) FROM stg_screening WHERE consent_date <= $as_of),
  (SELECT max(randomization_date) FROM stg_randomization WHERE randomization_date <= $as_of),
  (SELECT max(visit_date) FROM stg_visits WHERE visit_date <= $as_of),
  (SELECT max(off_study_date) FROM stg_offstudy WHERE off_study_date <= $as_of),
  (SELECT max(window_close) + 1 FROM visit_status_at($as_of) WHERE window_close < $as_of)
) AS last_change
