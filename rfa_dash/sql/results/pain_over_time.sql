-- pain_over_time: one row per group and month (0 = baseline, then each visit month with a
-- score): participants with a pain score, their mean and standard deviation, the mean
-- change from baseline, and OMED (mg/day) among those with one (count, mean, median).
-- The group is the arm, or 'all' when $pooled. A baseline score is each randomized
-- participant's; a visit's, a completed visit's with a score. Aggregated here, not in
-- Python: at 100,000 participants the scores are half a million rows.
-- The rows are pain_assessments' (visit_status_at joined to the randomization).
WITH a AS (
  SELECT s.participant_id, CASE WHEN $pooled THEN 'all' ELSE s.arm END AS grp,
         s.visit_month, s.visit_date, s.pain_nrs, s.omed_mg, r.pain_nrs AS baseline_pain,
         r.omed_mg AS baseline_omed
  FROM visit_status_at($as_of) s JOIN stg_randomization r USING (participant_id)
), scores AS (
  SELECT DISTINCT ON (participant_id) grp, 0 AS month, baseline_pain AS pain,
         baseline_omed AS omed, 0.0 AS change
  FROM a
  UNION ALL
  SELECT grp, visit_month AS month, pain_nrs AS pain, omed_mg AS omed,
         pain_nrs - baseline_pain AS change
  FROM a WHERE visit_date IS NOT NULL AND pain_nrs IS NOT NULL
)
SELECT grp AS "group", month,
       count(pain) AS n,
       avg(pain) AS mean_pain,
       stddev_samp(pain) AS sd_pain,
       avg(change) FILTER (WHERE pain IS NOT NULL) AS mean_change,
       count(omed) AS n_omed,
       avg(omed) AS mean_omed,
       median(omed) AS median_omed
FROM scores
GROUP BY grp, month
