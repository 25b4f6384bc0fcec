-- Table macros over the randomized participants (the eligibility ones are in
-- derived/eligibility.sql). Each takes the as-of date, so records dated after it
-- are treated as not yet existing (spec: data cut).

-- visit_status_at: one row per participant randomized on or before as_of per
-- protocol visit month, with target date, window and status (spec: visit schedule).
CREATE OR REPLACE MACRO visit_status_at(as_of) AS TABLE
WITH p AS (
  SELECT r.participant_id, r.arm, r.randomization_date, r.treatment_date,
         o.off_study_date, o.reason AS off_study_reason
  FROM stg_randomization r
  LEFT JOIN stg_offstudy o
    ON o.participant_id = r.participant_id AND o.off_study_date <= as_of
  WHERE r.randomization_date <= as_of
), g AS (
  SELECT p.*, pv.visit_month,
         CAST(p.treatment_date + to_months(pv.visit_month) AS DATE) AS target_date,
         pv.days_before, pv.days_after
  FROM p CROSS JOIN protocol_visits pv
), w AS (
  SELECT g.*, target_date - days_before AS window_open, target_date + days_after AS window_close
  FROM g
), j AS (
  SELECT w.*, v.status AS record_status, v.visit_date, v.pain_nrs, v.omed_mg
  FROM w LEFT JOIN stg_visits v
    ON v.participant_id = w.participant_id AND v.visit_month = w.visit_month
   AND (v.visit_date IS NULL OR v.visit_date <= as_of)
)
SELECT participant_id, arm, randomization_date, treatment_date, visit_month,
       target_date, window_open, window_close, visit_date, pain_nrs, omed_mg, record_status,
       off_study_date, off_study_reason,
       CASE WHEN treatment_date IS NULL THEN 'unscheduled'
            WHEN record_status = 'missed' THEN 'missed'
            WHEN record_status = 'completed' THEN
                 CASE WHEN visit_date < window_open THEN 'completed_early'
                      WHEN visit_date > window_close THEN 'completed_late'
                      ELSE 'completed' END
            WHEN off_study_date <= window_close THEN 'not_expected'
            WHEN off_study_date > window_close THEN 'missed'
            WHEN as_of < window_open THEN 'upcoming'
            WHEN as_of <= window_close THEN 'due'
            ELSE 'overdue' END AS status,
       CASE WHEN treatment_date IS NOT NULL AND record_status IS NULL
             AND off_study_date IS NULL AND as_of > window_close
            THEN date_diff('day', window_close, as_of) END AS days_overdue
FROM j;

-- sre_outcome_at: one row per participant randomized on or before as_of with
-- the SRE time-to-event outcome of the spec (the SRE types counted are the
-- list `sre_types`; all types for the primary outcome):
--   status 1: the first such SRE on or before as_of;
--   status 2: death (offstudy reason death, on or before as_of) before any
--             such SRE (an SRE dated after the death does not count);
--   status 0: censored at the last completed visit on or before as_of, or at
--             randomization when there is none.
CREATE OR REPLACE MACRO sre_outcome_at(as_of, sre_types) AS TABLE
WITH r AS (
  SELECT participant_id, arm, randomization_date FROM stg_randomization
  WHERE randomization_date <= as_of
), first_sre AS (
  SELECT participant_id, min(event_date) AS sre_date,
         arg_min(sre_type, event_date) AS sre_type
  FROM stg_sre_events
  WHERE event_date <= as_of AND list_contains(sre_types, sre_type)
  GROUP BY participant_id
), death AS (
  SELECT participant_id, off_study_date AS death_date FROM stg_offstudy
  WHERE reason = 'death' AND off_study_date <= as_of
), last_visit AS (
  SELECT participant_id, max(visit_date) AS last_visit_date FROM stg_visits
  WHERE status = 'completed' AND visit_date <= as_of
  GROUP BY participant_id
), j AS (
  SELECT r.*, f.sre_date, f.sre_type, d.death_date, l.last_visit_date
  FROM r LEFT JOIN first_sre f USING (participant_id)
  LEFT JOIN death d USING (participant_id)
  LEFT JOIN last_visit l USING (participant_id)
)
SELECT participant_id, arm, randomization_date, sre_date, sre_type, death_date,
       last_visit_date,
       CASE WHEN sre_date IS NOT NULL AND (death_date IS NULL OR sre_date <= death_date) THEN 1
            WHEN death_date IS NOT NULL THEN 2 ELSE 0 END AS status,
       CASE WHEN sre_date IS NOT NULL AND (death_date IS NULL OR sre_date <= death_date)
              THEN sre_date
            WHEN death_date IS NOT NULL THEN death_date
            ELSE coalesce(last_visit_date, randomization_date) END AS end_date
FROM j;
