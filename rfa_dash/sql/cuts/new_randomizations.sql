-- new_randomizations: one row per participant randomized in cur_randomization
-- and absent from prev_randomization (the current data against a saved cut).
SELECT c.participant_id, c.randomization_date, c.arm
FROM cur_randomization c
WHERE c.participant_id NOT IN (SELECT participant_id FROM prev_randomization)
ORDER BY c.randomization_date, c.participant_id
