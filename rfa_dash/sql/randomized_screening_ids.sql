-- randomized_screening_ids: one row per participant randomized on or before
-- $as_of: the screening_id it came from.
SELECT screening_id FROM stg_randomization WHERE randomization_date <= $as_of
