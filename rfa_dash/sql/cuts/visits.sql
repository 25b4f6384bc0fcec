-- visits: one row per visit record of a participant randomized on or before
-- $as_of whose visit_date is on or before $as_of or missing (the frozen cut).
SELECT v.* EXCLUDE (_line) FROM stg_visits v JOIN stg_randomization r USING (participant_id)
WHERE (v.visit_date IS NULL OR v.visit_date <= $as_of) AND r.randomization_date <= $as_of
ORDER BY v._line
