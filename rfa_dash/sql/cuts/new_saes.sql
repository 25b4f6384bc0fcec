-- new_saes: one row per serious adverse event record in cur_adverse_events with no
-- identical (participant, onset, term, serious) record in prev_adverse_events; onset as
-- the export wrote it (possibly partial); arm from cur_randomization.
SELECT c.participant_id, c.onset_date, c.term, c.grade, c.related, r.arm
FROM cur_adverse_events c
LEFT JOIN cur_randomization r USING (participant_id)
WHERE c.serious
  AND NOT EXISTS (
    SELECT 1 FROM prev_adverse_events p
    WHERE p.participant_id IS NOT DISTINCT FROM c.participant_id
      AND p.onset_date IS NOT DISTINCT FROM c.onset_date
      AND p.term IS NOT DISTINCT FROM c.term
      AND p.serious)
ORDER BY c.onset_date, c.participant_id
