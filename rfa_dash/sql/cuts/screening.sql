-- screening: one row per screening record dated on or before $as_of (the frozen cut).
SELECT * EXCLUDE (_line) FROM stg_screening WHERE screen_date <= $as_of ORDER BY _line
