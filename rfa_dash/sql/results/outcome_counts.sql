-- outcome_counts: one row, pooled over arms, as of $as_of: participants with
-- at least one SRE, deaths, and participants off study for any reason.
WITH r AS (SELECT participant_id FROM stg_randomization WHERE randomization_date <= $as_of)
SELECT
  (SELECT count(DISTINCT e.participant_id) FROM stg_sre_events e
     JOIN r USING (participant_id) WHERE e.event_date <= $as_of) AS participants_with_sre,
  (SELECT count(*) FROM stg_offstudy o JOIN r USING (participant_id)
     WHERE o.off_study_date <= $as_of AND o.reason = 'death') AS deaths,
  (SELECT count(*) FROM stg_offstudy o JOIN r USING (participant_id)
     WHERE o.off_study_date <= $as_of) AS off_study
