-- Relational checks on sre_events: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
WITH e AS (
  SELECT c.*, r.randomization_date, o.off_study_date, o.reason
  FROM cand_sre_events c
  LEFT JOIN stg_randomization r USING (participant_id)
  LEFT JOIN stg_offstudy o USING (participant_id)
)
SELECT _line AS line, 'participant_id' AS "column", participant_id AS value,
       'error' AS severity,
       'participant_id ' || participant_id || ' is not in randomization (or its row was left '
       || 'out); row left out' AS message, true AS reject
FROM e WHERE randomization_date IS NULL
UNION ALL
SELECT _line, 'event_date', CAST(event_date AS VARCHAR), 'error',
       'event_date ' || event_date || ' is before randomization_date ' || randomization_date
       || '; row left out', true
FROM e WHERE event_date < randomization_date
UNION ALL
SELECT _line, 'event_date', CAST(event_date AS VARCHAR), 'warning',
       'event_date ' || event_date || ' is after the participant''s death on '
       || off_study_date, false
FROM e WHERE reason = 'death' AND event_date > off_study_date
ORDER BY 1
