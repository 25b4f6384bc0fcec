-- incomplete_screenings: one row per incomplete screening (no criterion fails,
-- at least one unknown) on or before $as_of, with the unknown criteria.
SELECT s.screening_id, e.screen_date, s.unknown
FROM eligibility_status_at($as_of) s JOIN eligibility_at($as_of) e USING (screening_id)
WHERE s.status = 'incomplete'
ORDER BY s.screening_id
