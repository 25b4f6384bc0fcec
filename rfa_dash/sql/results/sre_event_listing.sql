-- sre_event_listing: one row per SRE on or before $as_of of a participant
-- randomized on or before $as_of, with days from randomization.
SELECT e.participant_id, r.arm, e.event_date,
       date_diff('day', r.randomization_date, e.event_date) AS days_from_randomization,
       e.sre_type, e.spine_level
FROM stg_sre_events e JOIN stg_randomization r USING (participant_id)
WHERE e.event_date <= $as_of AND r.randomization_date <= $as_of
ORDER BY e.event_date, e.participant_id, e._line
