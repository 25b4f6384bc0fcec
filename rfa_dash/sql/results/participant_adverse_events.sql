-- participant_adverse_events: one row per adverse event of $pid with onset (as imputed)
-- on or before $as_of, in onset order: the onset as recorded and as imputed, whether it
-- is treatment-emergent, term, system organ class, grade, serious, related.
SELECT onset_text, onset_date, onset_imputed, treatment_emergent, term, soc, grade,
       serious, related
FROM ae_onset
WHERE participant_id = $pid AND onset_date <= $as_of
ORDER BY onset_date, _line
