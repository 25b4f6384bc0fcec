-- main_trial_counts: one row: the patients screened (as the funnel counts them:
-- eligibility_at) and the participants randomized on or before $as_of, and the day the
-- $target-th participant was randomized (NULL while the target is not reached): the
-- pilot's funnel and pace that the main trial's size is projected with.
WITH r AS (
  SELECT randomization_date,
         row_number() OVER (ORDER BY randomization_date, participant_id) AS n
  FROM stg_randomization WHERE randomization_date <= $as_of
)
SELECT (SELECT count(*) FROM eligibility_at($as_of)) AS screened,
       (SELECT count(*) FROM r) AS randomized,
       (SELECT randomization_date FROM r WHERE n = $target) AS target_reached
