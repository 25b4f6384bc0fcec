-- adverse_event_listing: one row per adverse event with onset on or before
-- $as_of, of a participant randomized on or before $as_of, with the arm.
SELECT a.participant_id, r.arm, a.onset_date,
       date_diff('day', r.randomization_date, a.onset_date) AS days_from_randomization,
       a.term, a.grade, a.serious, a.related
FROM stg_adverse_events a JOIN stg_randomization r USING (participant_id)
WHERE a.onset_date <= $as_of AND r.randomization_date <= $as_of
ORDER BY a.onset_date, a.participant_id
