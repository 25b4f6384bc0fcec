-- randomizations: one row per participant randomized on or before $as_of, in
-- randomization order, with arm (callers drop it for roles blind to allocation).
SELECT participant_id, randomization_date, arm
FROM stg_randomization
WHERE randomization_date <= $as_of
ORDER BY randomization_date, participant_id
