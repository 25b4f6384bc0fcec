-- screening_record: one row, the typed screening record of $sid (every contract column).
SELECT * EXCLUDE (_line) FROM stg_screening WHERE screening_id = $sid
