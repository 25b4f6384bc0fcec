-- consented_not_randomized: one row: eligible and consented patients (as of
-- $as_of) not yet randomized by then.
SELECT count(*) AS n
FROM eligibility_at($as_of) e
WHERE list_bool_and(list_transform(e.results, lambda x: coalesce(x, false))) AND e.consented
  AND e.screening_id NOT IN (SELECT screening_id FROM stg_randomization
                             WHERE randomization_date <= $as_of)
