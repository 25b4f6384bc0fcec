-- visit_grid: one row per randomized participant per visit month as of $as_of
-- (status only, no arm), for participants ranked $offset+1 .. $offset+$limit by
-- participant_id; n_participants is the total, for paging.
WITH p AS (
  SELECT participant_id, row_number() OVER (ORDER BY participant_id) AS rank,
         count(*) OVER () AS n_participants
  FROM stg_randomization WHERE randomization_date <= $as_of
)
SELECT v.participant_id, v.visit_month, v.status, v.target_date, v.visit_date,
       p.rank, p.n_participants
FROM visit_status_at($as_of) v JOIN p USING (participant_id)
WHERE p.rank > $offset AND p.rank <= $offset + $limit
ORDER BY p.rank, v.visit_month
