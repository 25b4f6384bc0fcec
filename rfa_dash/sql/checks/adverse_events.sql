-- Relational checks on adverse_events: one row per problem
-- (line, column, value, severity, message, reject = leave the row out).
WITH a AS (
  SELECT c.*, r.randomization_date
  FROM cand_adverse_events c LEFT JOIN stg_randomization r USING (participant_id)
)
SELECT _line, 'participant_id', participant_id, 'error',
       'participant_id ' || participant_id || ' is not in randomization (or its row was left '
       || 'out); row left out', true
FROM a WHERE randomization_date IS NULL
UNION ALL
SELECT _line, 'onset_date', CAST(onset_date AS VARCHAR), 'error',
       'onset_date ' || onset_date || ' is before randomization_date ' || randomization_date
       || '; row left out', true
FROM a WHERE onset_date < randomization_date
ORDER BY 1
