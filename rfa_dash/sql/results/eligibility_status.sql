-- eligibility_status: one row per patient screened on or before $as_of, with
-- the spec's status and the failed and unknown criterion ids in spec order.
SELECT * FROM eligibility_status_at($as_of) ORDER BY screening_id
