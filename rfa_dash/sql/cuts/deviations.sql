-- deviations: one row per deviations record dated on or before $as_of, of a participant
-- randomized on or before $as_of (the frozen cut).
SELECT t.* EXCLUDE (_line) FROM stg_deviations t JOIN stg_randomization r USING (participant_id)
WHERE t.deviation_date <= $as_of AND r.randomization_date <= $as_of ORDER BY t._line
