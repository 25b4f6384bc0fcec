-- pain_assessments: one row per participant randomized on or before $as_of per protocol
-- visit month, with the baseline and visit pain (NRS 0-10) and opioid use (OMED, mg/day),
-- whether the participant is evaluable there (baseline pain >= 2, and the visit
-- completed or its window closed before $as_of), assessed (completed with a pain score),
-- the OMED change, the pain response of the International Consensus (Chow et al. 2012)
-- and whether it was judged on pain alone (OMED missing at baseline or at the visit).
-- Spec: pain response; docs/data-rules.md for what the spec leaves open.
WITH v AS (
  SELECT s.participant_id, s.arm, s.visit_month, s.window_close, s.visit_date,
         s.pain_nrs, s.omed_mg, r.pain_nrs AS baseline_pain, r.omed_mg AS baseline_omed,
         s.record_status = 'completed' AND s.visit_date IS NOT NULL AS completed
  FROM visit_status_at($as_of) s JOIN stg_randomization r USING (participant_id)
), e AS (
  SELECT v.*,
         coalesce(baseline_pain >= 2 AND (completed OR window_close < $as_of), false)
           AS evaluable,
         baseline_omed IS NULL OR omed_mg IS NULL AS pain_only
  FROM v
), a AS (
  SELECT e.*,
         evaluable AND completed AND pain_nrs IS NOT NULL AS assessed,
         CASE WHEN pain_only THEN 'stable'
              WHEN baseline_omed = 0 AND omed_mg > 0 THEN 'increased'
              WHEN baseline_omed > 0 AND omed_mg >= 1.25 * baseline_omed
                   AND omed_mg > baseline_omed THEN 'increased'
              WHEN baseline_omed > 0 AND omed_mg <= 0.75 * baseline_omed THEN 'reduced'
              ELSE 'stable' END AS omed_change
  FROM e
)
SELECT participant_id, arm, visit_month, visit_date, baseline_pain, pain_nrs,
       baseline_omed, omed_mg, evaluable, assessed, pain_only, omed_change,
       CASE WHEN NOT assessed THEN NULL
            WHEN pain_nrs = 0 AND omed_change <> 'increased' THEN 'complete'
            WHEN (pain_nrs <= baseline_pain - 2 AND omed_change <> 'increased')
                 OR (omed_change = 'reduced' AND pain_nrs <= baseline_pain) THEN 'partial'
            WHEN (pain_nrs >= baseline_pain + 2 AND omed_change = 'stable')
                 OR (omed_change = 'increased' AND pain_nrs BETWEEN baseline_pain
                                                           AND baseline_pain + 1)
              THEN 'progression'
            ELSE 'indeterminate' END AS response,
       CASE WHEN assessed THEN pain_nrs - baseline_pain END AS change
FROM a
ORDER BY participant_id, visit_month
