-- ineligible_failures: one row per ineligible patient screened on or before
-- $as_of with the criteria they fail, as a list of booleans by criterion
-- position (spec order; an unknown result is not a failure).
SELECT list_transform(results, lambda x: coalesce(NOT x, false)) AS fails
FROM eligibility_at($as_of)
WHERE list_bool_or(list_transform(results, lambda x: coalesce(NOT x, false)))
