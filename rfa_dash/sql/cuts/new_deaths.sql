-- new_deaths: one row per participant who died in cur_offstudy and not in
-- prev_offstudy; arm from cur_randomization.
SELECT c.participant_id, c.off_study_date, r.arm
FROM cur_offstudy c
LEFT JOIN cur_randomization r USING (participant_id)
WHERE c.reason = 'death'
  AND c.participant_id NOT IN (SELECT participant_id FROM prev_offstudy WHERE reason = 'death')
ORDER BY c.off_study_date, c.participant_id
