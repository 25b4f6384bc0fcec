-- randomization: one row per randomization record dated on or before $as_of (the frozen cut).
SELECT * EXCLUDE (_line) FROM stg_randomization WHERE randomization_date <= $as_of ORDER BY _line
