-- adverse_event_listing: one row per treatment-emergent adverse event with onset (as
-- imputed) on or before $as_of, of a participant randomized on or before $as_of, with
-- the arm, whether the onset was imputed from a partial date, and the onset as recorded.
SELECT a.participant_id, r.arm, a.onset_date, a.onset_imputed, a.onset_text,
       date_diff('day', r.randomization_date, a.onset_date) AS days_from_randomization,
       a.term, a.soc, a.grade, a.serious, a.related
FROM ae_onset a JOIN stg_randomization r USING (participant_id)
WHERE a.treatment_emergent AND a.onset_date <= $as_of AND r.randomization_date <= $as_of
ORDER BY a.onset_date, a.participant_id, a._line
