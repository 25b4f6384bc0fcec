-- safety_rule_participants: one row per participant of the monitored arm ($arm) who
-- received it (received_allocated not false) with a treatment date on or before $as_of,
-- with the day it became evaluable for the safety stopping rule and its outcome (1: a
-- counted adverse event; 0: none), both NULL while it is not (yet) evaluable.
-- Spec (Safety stopping rule): an AE counts when its (imputed) onset is on or after
-- treatment_date, no later than treatment_date + $window_days and on or before $as_of,
-- its grade is >= $min_grade and, when $related_only, related is true (missing is not).
-- Evaluable with 1 on the first counted onset; with 0 on treatment_date + $window_days
-- when that day is before $as_of; with 0 on the off-study date of a death before the
-- window closed; never when it left otherwise before the window closed.
WITH p AS (
  SELECT participant_id, treatment_date,
         CAST(treatment_date + to_days(CAST($window_days AS INTEGER)) AS DATE) AS window_end
  FROM stg_randomization
  WHERE arm = $arm AND received_allocated IS DISTINCT FROM false
    AND treatment_date IS NOT NULL AND treatment_date <= $as_of
    AND randomization_date <= $as_of
), counted AS (
  SELECT a.participant_id, min(a.onset_date) AS first_onset
  FROM ae_onset a JOIN p USING (participant_id)
  WHERE a.onset_date >= p.treatment_date AND a.onset_date <= p.window_end
    AND a.onset_date <= $as_of AND a.grade >= $min_grade
    AND (NOT $related_only OR a.related IS TRUE)
  GROUP BY a.participant_id
), off AS (
  SELECT participant_id, off_study_date, reason FROM stg_offstudy
  WHERE off_study_date <= $as_of
)
SELECT p.participant_id, p.treatment_date, p.window_end, c.first_onset,
       o.off_study_date, o.reason AS off_study_reason,
       CASE WHEN c.first_onset IS NOT NULL THEN c.first_onset
            WHEN o.reason = 'death' AND o.off_study_date < p.window_end THEN o.off_study_date
            WHEN o.off_study_date < p.window_end THEN NULL
            WHEN p.window_end < $as_of THEN p.window_end END AS evaluable_date,
       CASE WHEN c.first_onset IS NOT NULL THEN 1
            WHEN o.reason = 'death' AND o.off_study_date < p.window_end THEN 0
            WHEN o.off_study_date < p.window_end THEN NULL
            WHEN p.window_end < $as_of THEN 0 END AS outcome
FROM p LEFT JOIN counted c USING (participant_id) LEFT JOIN off o USING (participant_id)
ORDER BY evaluable_date NULLS LAST, p.participant_id
