-- sre_outcomes: one row per participant randomized on or before $as_of with
-- arm, status (1 SRE of the types $sre_types, 2 death first, 0 censored),
-- end date and time from randomization in days and months (days / spec_constants.month_days).
SELECT participant_id, arm, randomization_date, sre_date, sre_type, death_date,
       last_visit_date, status, end_date,
       date_diff('day', randomization_date, end_date) AS days,
       date_diff('day', randomization_date, end_date) / (SELECT month_days FROM spec_constants) AS months
FROM sre_outcome_at($as_of, $sre_types)
ORDER BY participant_id
