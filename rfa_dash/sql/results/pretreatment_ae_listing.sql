-- pretreatment_ae_listing: one row per adverse event that began before treatment (not
-- treatment-emergent) with onset (as imputed) on or before $as_of, of a participant
-- randomized on or before $as_of, with the arm.
SELECT a.participant_id, r.arm, a.onset_date, a.onset_imputed, a.onset_text,
       a.term, a.soc, a.grade, a.serious, a.related
FROM ae_onset a JOIN stg_randomization r USING (participant_id)
WHERE NOT a.treatment_emergent AND a.onset_date <= $as_of AND r.randomization_date <= $as_of
ORDER BY a.onset_date, a.participant_id, a._line
