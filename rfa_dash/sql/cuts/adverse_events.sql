-- adverse_events: one row per adverse_events record dated on or before $as_of, of a participant
-- randomized on or before $as_of (the frozen cut).
SELECT t.* EXCLUDE (_line) FROM stg_adverse_events t JOIN stg_randomization r USING (participant_id)
WHERE t.onset_date <= $as_of AND r.randomization_date <= $as_of ORDER BY t._line
