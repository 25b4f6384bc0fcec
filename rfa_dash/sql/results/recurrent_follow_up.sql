-- recurrent_follow_up: one row per participant randomized on or before $as_of with
-- arm, randomization date, death date (off study for death on or before $as_of), the
-- off-study date for any other reason (on or before $as_of) and the last completed
-- visit date on or before $as_of and not after the off-study date: what the
-- recurrent-SRE follow-up is made of
-- (the end of follow-up also needs the last counted SRE: analysis/recurrent.py).
SELECT r.participant_id, r.arm, r.randomization_date,
       CASE WHEN o.reason = 'death' THEN o.off_study_date END AS death_date,
       CASE WHEN o.reason <> 'death' THEN o.off_study_date END AS off_study_date,
       (SELECT max(v.visit_date) FROM stg_visits v
        WHERE v.participant_id = r.participant_id AND v.status = 'completed'
          AND v.visit_date <= $as_of
          AND (o.off_study_date IS NULL OR v.visit_date <= o.off_study_date))
         AS last_visit_date
FROM stg_randomization r
LEFT JOIN stg_offstudy o
  ON o.participant_id = r.participant_id AND o.off_study_date <= $as_of
WHERE r.randomization_date <= $as_of
ORDER BY r.participant_id
