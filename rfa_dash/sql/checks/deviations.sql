-- Relational checks on deviations: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
-- A deviation may predate randomization (an ineligible patient randomized): not a problem.
SELECT c._line AS line, 'participant_id' AS "column", c.participant_id AS value,
       'error' AS severity,
       'participant_id ' || c.participant_id || ' is not in randomization (or its row was left '
       || 'out); row left out' AS message, true AS reject
FROM cand_deviations c LEFT JOIN stg_randomization r USING (participant_id)
WHERE r.participant_id IS NULL
ORDER BY 1
