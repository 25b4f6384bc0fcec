-- offstudy_over_time: one row per calendar month (from the first randomization
-- to $as_of) per off-study reason, with the cumulative number of participants
-- off study for that reason by the end of the month, and the number on study.
WITH r AS (SELECT participant_id, randomization_date FROM stg_randomization
           WHERE randomization_date <= $as_of),
months AS (
  SELECT CAST(unnest(generate_series(date_trunc('month', min(randomization_date)),
                                     date_trunc('month', CAST($as_of AS DATE)),
                                     INTERVAL 1 MONTH)) AS DATE) AS month
  FROM r
),
ends AS (SELECT month, least(CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE),
                             CAST($as_of AS DATE)) AS month_end FROM months),
o AS (SELECT o.participant_id, o.off_study_date, o.reason FROM stg_offstudy o
      JOIN r USING (participant_id) WHERE o.off_study_date <= $as_of),
reasons AS (SELECT unnest(['death', 'withdrawal', 'lost_to_follow_up', 'study_completed'])
            AS reason)
SELECT e.month, e.month_end, x.reason,
       (SELECT count(*) FROM o WHERE o.reason = x.reason AND o.off_study_date <= e.month_end)
         AS cumulative_off_study,
       (SELECT count(*) FROM r WHERE r.randomization_date <= e.month_end)
         - (SELECT count(*) FROM o WHERE o.off_study_date <= e.month_end) AS on_study
FROM ends e CROSS JOIN reasons x
ORDER BY e.month, x.reason
