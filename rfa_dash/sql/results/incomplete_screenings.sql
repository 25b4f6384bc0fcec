-- incomplete_screenings: one row per incomplete screening (no criterion fails,
-- at least one unknown) on or before $as_of, with the unknown criteria and the
-- screening values they need that are missing (in criterion, then column order).
WITH s AS (
  SELECT s.screening_id, e.screen_date, s.unknown
  FROM eligibility_status_at($as_of) s JOIN eligibility_at($as_of) e USING (screening_id)
  WHERE s.status = 'incomplete'
), needed AS (
  -- each column an unknown criterion reads, at its first place in that order
  SELECT r.screening_id, c.col, min(r.position * 1000 + c.k) AS place
  FROM criterion_results_at($as_of) r
  JOIN s USING (screening_id)
  JOIN (SELECT criterion, unnest(columns) AS col, generate_subscripts(columns, 1) AS k
        FROM protocol_criteria) c USING (criterion)
  WHERE r.result IS NULL
  GROUP BY r.screening_id, c.col
), missing AS (
  SELECT u.screening_id, u.col
  FROM (SELECT screening_id, COLUMNS(* EXCLUDE (screening_id, _line)) IS NULL
        FROM stg_screening WHERE screening_id IN (SELECT screening_id FROM s))
    UNPIVOT INCLUDE NULLS (is_missing FOR col IN (COLUMNS(* EXCLUDE screening_id))) u
  WHERE u.is_missing
)
SELECT s.screening_id, s.screen_date, s.unknown,
       coalesce(string_agg(n.col, ', ' ORDER BY n.place), '') AS missing
FROM s
LEFT JOIN (needed n SEMI JOIN missing m ON m.screening_id = n.screening_id AND m.col = n.col)
  ON n.screening_id = s.screening_id
GROUP BY s.screening_id, s.screen_date, s.unknown
ORDER BY s.screening_id
