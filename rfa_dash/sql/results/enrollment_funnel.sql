-- enrollment_funnel: one row per funnel stage (screened, eligible, consented,
-- randomized) as of $as_of, with the count and the conversion from the stage before.
WITH e AS (
  SELECT screening_id, consented,
         list_bool_and(list_transform(results, lambda x: coalesce(x, false))) AS eligible
  FROM eligibility_at($as_of)
), r AS (
  SELECT count(*) AS n FROM stg_randomization WHERE randomization_date <= $as_of
), stages AS (
  SELECT 1 AS step, 'screened' AS stage, (SELECT count(*) FROM e) AS n
  UNION ALL SELECT 2, 'eligible', (SELECT count(*) FROM e WHERE eligible)
  UNION ALL SELECT 3, 'consented', (SELECT count(*) FROM e WHERE eligible AND consented)
  UNION ALL SELECT 4, 'randomized', (SELECT n FROM r)
)
SELECT step, stage, n,
       CAST(n AS DOUBLE) / nullif(lag(n) OVER (ORDER BY step), 0) AS conversion
FROM stages ORDER BY step
