-- Relational checks on randomization: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
WITH r AS (
  SELECT c.*, s.screen_date,
         min(c._line) OVER (PARTITION BY c.participant_id) AS first_pid,
         min(c._line) OVER (PARTITION BY c.screening_id) AS first_sid
  FROM cand_randomization c LEFT JOIN stg_screening s USING (screening_id)
)
SELECT _line AS line, 'participant_id' AS "column", participant_id AS value,
       'error' AS severity,
       'duplicate participant_id ' || participant_id || ' (first at line ' || first_pid
       || '); row left out' AS message, true AS reject
FROM r WHERE _line > first_pid
UNION ALL
SELECT _line, 'screening_id', screening_id, 'error',
       'screening_id ' || screening_id || ' is not in screening (or its row was left out); '
       || 'row left out', true
FROM r WHERE screen_date IS NULL AND _line = first_pid
UNION ALL
SELECT _line, 'screening_id', screening_id, 'error',
       'screening_id ' || screening_id || ' is randomized twice (first at line ' || first_sid
       || '); row left out', true
FROM r WHERE _line > first_sid AND _line = first_pid AND screen_date IS NOT NULL
UNION ALL
SELECT _line, 'randomization_date', CAST(randomization_date AS VARCHAR), 'warning',
       'randomization_date ' || randomization_date || ' is before screen_date '
       || screen_date, false
FROM r WHERE randomization_date < screen_date AND _line = first_pid AND _line = first_sid
UNION ALL
SELECT _line, 'treatment_date', CAST(treatment_date AS VARCHAR), 'error',
       'treatment_date ' || treatment_date || ' is before randomization_date '
       || randomization_date || '; treated as missing', false
FROM r WHERE treatment_date < randomization_date AND _line = first_pid AND _line = first_sid
UNION ALL
-- IDs equal but for case (ids are trimmed when typed, so spaces make exact duplicates)
SELECT _line, 'participant_id', participant_id, 'warning',
       'participant_id ' || participant_id || ' differs from ' || first_id || ' (first at line ' || first_line
       || ') only in case: probably the same participant', false
FROM (SELECT _line, participant_id,
             arg_min(participant_id, _line) OVER (PARTITION BY lower(participant_id)) AS first_id,
             min(_line) OVER (PARTITION BY lower(participant_id)) AS first_line
      FROM cand_randomization)
WHERE participant_id <> first_id
ORDER BY 1
