-- visit_adherence: one row per protocol visit month as of $as_of, with the count
-- of each status, adherence = (completed + early + late) / (those + missed +
-- overdue) and the in-window rate = completed in window / the same denominator.
WITH s AS (SELECT visit_month, status FROM visit_status_at($as_of)),
c AS (
  SELECT pv.visit_month,
         count(*) FILTER (WHERE status = 'completed') AS completed,
         count(*) FILTER (WHERE status = 'completed_early') AS completed_early,
         count(*) FILTER (WHERE status = 'completed_late') AS completed_late,
         count(*) FILTER (WHERE status = 'missed') AS missed,
         count(*) FILTER (WHERE status = 'overdue') AS overdue,
         count(*) FILTER (WHERE status = 'due') AS due,
         count(*) FILTER (WHERE status = 'upcoming') AS upcoming,
         count(*) FILTER (WHERE status = 'not_expected') AS not_expected,
         count(*) FILTER (WHERE status = 'unscheduled') AS unscheduled
  FROM protocol_visits pv LEFT JOIN s USING (visit_month)
  GROUP BY pv.visit_month
)
SELECT *,
       completed + completed_early + completed_late AS done,
       completed + completed_early + completed_late + missed + overdue AS expected,
       CAST(completed + completed_early + completed_late AS DOUBLE)
         / nullif(completed + completed_early + completed_late + missed + overdue, 0)
         AS adherence,
       CAST(completed AS DOUBLE)
         / nullif(completed + completed_early + completed_late + missed + overdue, 0)
         AS in_window_rate
FROM c ORDER BY visit_month
