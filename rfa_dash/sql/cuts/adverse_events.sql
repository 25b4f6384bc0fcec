-- adverse_events: one row per adverse_events record whose onset (as imputed, spec: data
-- cut) is on or before $as_of, of a participant randomized on or before $as_of (the
-- frozen cut); onset_date as the export wrote it (partial dates stay partial).
SELECT t.* EXCLUDE (_line) FROM stg_adverse_events t JOIN stg_randomization r USING (participant_id)
JOIN ae_onset o ON o._line = t._line
WHERE o.onset_date <= $as_of AND r.randomization_date <= $as_of ORDER BY t._line
