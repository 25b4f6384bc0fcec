-- Relational checks on offstudy: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
WITH o AS (
  SELECT c.*, r.randomization_date,
         min(c._line) OVER (PARTITION BY c.participant_id) AS first_line
  FROM cand_offstudy c LEFT JOIN stg_randomization r USING (participant_id)
)
SELECT _line AS line, 'participant_id' AS "column", participant_id AS value,
       'error' AS severity,
       'participant_id ' || participant_id || ' is not in randomization (or its row was left '
       || 'out); row left out' AS message, true AS reject
FROM o WHERE randomization_date IS NULL
UNION ALL
SELECT _line, 'participant_id', participant_id, 'error',
       'duplicate participant_id ' || participant_id || ' (first at line ' || first_line
       || '); row left out', true
FROM o WHERE randomization_date IS NOT NULL AND _line > first_line
UNION ALL
SELECT _line, 'off_study_date', CAST(off_study_date AS VARCHAR), 'error',
       'off_study_date ' || off_study_date || ' is before randomization_date '
       || randomization_date || '; row left out', true
FROM o WHERE _line = first_line AND off_study_date < randomization_date
ORDER BY 1
