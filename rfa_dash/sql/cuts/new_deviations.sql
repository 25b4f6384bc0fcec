-- new_deviations: one row per protocol deviation record in cur_deviations with no
-- identical (participant, date, category, description) record in prev_deviations;
-- important ones first; arm from cur_randomization.
SELECT c.participant_id, c.deviation_date, c.category, c.important, c.description, r.arm
FROM cur_deviations c
LEFT JOIN cur_randomization r USING (participant_id)
WHERE NOT EXISTS (
  SELECT 1 FROM prev_deviations p
  WHERE p.participant_id IS NOT DISTINCT FROM c.participant_id
    AND p.deviation_date IS NOT DISTINCT FROM c.deviation_date
    AND p.category IS NOT DISTINCT FROM c.category
    AND p.description IS NOT DISTINCT FROM c.description)
ORDER BY c.important DESC NULLS LAST, c.deviation_date, c.participant_id
