-- randomized_by_arm: one row per protocol arm, participants randomized on or
-- before $as_of, with the share expected from the allocation ratio.
SELECT a.code AS arm, a.label, a.ratio,
       count(r.participant_id) AS n,
       CAST(a.ratio AS DOUBLE) / sum(a.ratio) OVER () AS expected_share
FROM protocol_arms a
LEFT JOIN stg_randomization r ON r.arm = a.code AND r.randomization_date <= $as_of
GROUP BY a.code, a.label, a.ratio, a.position
ORDER BY a.position
