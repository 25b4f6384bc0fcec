-- randomizations_by_day: one row per day with at least one randomization on or
-- before $as_of: the number randomized that day.
SELECT randomization_date AS date, count(*) AS n
FROM stg_randomization WHERE randomization_date <= $as_of
GROUP BY randomization_date ORDER BY randomization_date
