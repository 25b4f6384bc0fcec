-- Relational checks on adverse_events: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
-- An event before treatment, even before randomization, is valid (events are collected
-- from consent on): it is kept and marked not treatment-emergent
-- (sql/derived/adverse_events.sql), never reported as a problem.
WITH a AS (
  SELECT c.*, r.randomization_date
  FROM cand_adverse_events c LEFT JOIN stg_randomization r USING (participant_id)
)
SELECT _line AS line, 'participant_id' AS "column", participant_id AS value,
       'error' AS severity,
       'participant_id ' || participant_id || ' is not in randomization (or its row was left '
       || 'out); row left out' AS message, true AS reject
FROM a WHERE randomization_date IS NULL
ORDER BY 1
