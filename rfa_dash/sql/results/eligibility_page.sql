-- eligibility_page: patients $offset+1 .. $offset+$limit (by screening_id) of
-- those screened on or before $as_of: status, failed and unknown criteria, each
-- criterion's result and the computed values; n_total is the total, for paging.
WITH s AS (SELECT * FROM eligibility_status_at($as_of) ORDER BY screening_id
           LIMIT $limit OFFSET $offset)
SELECT s.*, d.* EXCLUDE (screening_id),
       (SELECT count(*) FROM stg_screening WHERE screen_date <= $as_of) AS n_total
FROM s JOIN eligibility_detail_at($as_of) d USING (screening_id)
ORDER BY s.screening_id
