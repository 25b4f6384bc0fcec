-- new_sres: one row per SRE record in cur_sre_events with no identical
-- (participant, date, type) record in prev_sre_events; arm from cur_randomization.
SELECT c.participant_id, c.event_date, c.sre_type, r.arm
FROM cur_sre_events c
LEFT JOIN cur_randomization r USING (participant_id)
WHERE NOT EXISTS (
  SELECT 1 FROM prev_sre_events p
  WHERE p.participant_id IS NOT DISTINCT FROM c.participant_id
    AND p.event_date IS NOT DISTINCT FROM c.event_date
    AND p.sre_type IS NOT DISTINCT FROM c.sre_type)
ORDER BY c.event_date, c.participant_id
