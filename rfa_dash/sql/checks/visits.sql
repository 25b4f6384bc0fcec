-- Relational checks on visits: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
WITH v AS (
  SELECT c.*, r.randomization_date, o.off_study_date,
         min(c._line) OVER (PARTITION BY c.participant_id, c.visit_month) AS first_line
  FROM cand_visits c
  LEFT JOIN stg_randomization r USING (participant_id)
  LEFT JOIN stg_offstudy o USING (participant_id)
)
SELECT _line AS line, 'participant_id' AS "column", participant_id AS value,
       'error' AS severity,
       'participant_id ' || participant_id || ' is not in randomization (or its row was left '
       || 'out); row left out' AS message, true AS reject
FROM v WHERE randomization_date IS NULL
UNION ALL
SELECT _line, 'visit_month', CAST(visit_month AS VARCHAR), 'error',
       'second record for participant ' || participant_id || ' month ' || visit_month
       || ' (first at line ' || first_line || '); row left out', true
FROM v WHERE randomization_date IS NOT NULL AND _line > first_line
UNION ALL
SELECT _line, 'visit_date', NULL, 'error',
       'visit_date is required when status is completed; row left out', true
FROM v WHERE randomization_date IS NOT NULL AND _line = first_line
  AND status = 'completed' AND visit_date IS NULL
UNION ALL
SELECT _line, 'visit_date', CAST(visit_date AS VARCHAR), 'error',
       'visit_date ' || visit_date || ' is before randomization_date ' || randomization_date
       || '; row left out', true
FROM v WHERE _line = first_line AND visit_date < randomization_date
UNION ALL
SELECT _line, 'visit_date', CAST(visit_date AS VARCHAR), 'warning',
       'visit_date ' || visit_date || ' is after off_study_date ' || off_study_date, false
FROM v WHERE _line = first_line AND visit_date > off_study_date
  AND visit_date >= randomization_date
ORDER BY 1
