-- Relational checks on screening: one row per problem
-- (named line, column, value, severity, message, reject = leave the row out).
SELECT _line AS line, 'screening_id' AS "column", screening_id AS value,
       'error' AS severity,
       'duplicate screening_id ' || screening_id || ' (first at line ' || first_line
       || '); row left out' AS message, true AS reject
FROM (SELECT _line, screening_id,
             min(_line) OVER (PARTITION BY screening_id) AS first_line
      FROM cand_screening)
WHERE _line > first_line
UNION ALL
SELECT _line, 'consent_date', NULL, 'warning',
       'consented is true but consent_date is missing', false
FROM cand_screening WHERE consented AND consent_date IS NULL
UNION ALL
SELECT _line, 'consent_date', CAST(consent_date AS VARCHAR), 'warning',
       'consent_date ' || consent_date || ' is before screen_date ' || screen_date, false
FROM cand_screening WHERE consent_date < screen_date
UNION ALL
SELECT _line, 'spine_levels', spine_levels, 'warning',
       'spine_levels "' || spine_levels || '" is not a ;-separated list of vertebral levels '
       || 'such as T7;T8; the spine_levels criterion is unknown', false
FROM cand_screening
WHERE spine_levels IS NOT NULL
  AND NOT list_bool_and(list_transform(string_split(spine_levels, ';'),
                        lambda x: regexp_full_match(upper(trim(x)), '[CTLS][0-9]{1,2}')))
UNION ALL
-- IDs equal but for case (ids are trimmed when typed, so spaces make exact duplicates)
SELECT _line, 'screening_id', screening_id, 'warning',
       'screening_id ' || screening_id || ' differs from ' || first_id || ' (first at line ' || first_line
       || ') only in case: probably the same patient', false
FROM (SELECT _line, screening_id,
             arg_min(screening_id, _line) OVER (PARTITION BY lower(screening_id)) AS first_id,
             min(_line) OVER (PARTITION BY lower(screening_id)) AS first_line
      FROM cand_screening)
WHERE screening_id <> first_id
UNION ALL
-- zero is within the contract's range but is no weight, creatinine or limit of normal
SELECT _line, col, '0', 'warning',
       col || ' is 0, not a plausible value; the criteria that use it are unknown', false
FROM (SELECT _line, unnest(['weight_kg', 'creatinine', 'creatinine_uln', 'ast_uln', 'alt_uln',
                            'bilirubin_uln']) AS col,
             unnest([weight_kg, creatinine, creatinine_uln, ast_uln, alt_uln,
                     bilirubin_uln]) AS v
      FROM cand_screening)
WHERE v = 0
ORDER BY 1
