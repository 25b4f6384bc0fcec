-- participant_criteria: one row per eligibility criterion (spec order) of screening
-- $sid at $as_of: its label, whether it is a lab value, the screening columns it reads
-- and its result (pass, fail, unknown).
SELECT k.criterion, k.label, k.lab, k.columns,
       CASE c.result WHEN true THEN 'pass' WHEN false THEN 'fail' ELSE 'unknown' END
         AS result
FROM criterion_results_at($as_of) c JOIN protocol_criteria k USING (criterion)
WHERE c.screening_id = $sid
ORDER BY k.position
