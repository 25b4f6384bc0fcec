-- deviation_listing: one row per protocol deviation dated on or before $as_of, of a
-- participant randomized on or before $as_of, with the arm; in date order.
SELECT d.participant_id, r.arm, d.deviation_date, d.category, d.important, d.description
FROM stg_deviations d JOIN stg_randomization r USING (participant_id)
WHERE d.deviation_date <= $as_of AND r.randomization_date <= $as_of
ORDER BY d.deviation_date, d.participant_id, d._line
