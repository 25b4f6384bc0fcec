-- death_listing: one row per participant who died on or before $as_of (offstudy
-- reason death), with days from randomization and the arm.
SELECT o.participant_id, r.arm, o.off_study_date AS death_date,
       date_diff('day', r.randomization_date, o.off_study_date) AS days_from_randomization
FROM stg_offstudy o JOIN stg_randomization r USING (participant_id)
WHERE o.reason = 'death' AND o.off_study_date <= $as_of AND r.randomization_date <= $as_of
ORDER BY o.off_study_date, o.participant_id
