-- protocol_visits: one row per scheduled follow-up month with its window in days.
CREATE OR REPLACE TABLE protocol_visits AS
SELECT CAST(unnest($m) AS INTEGER) AS visit_month, CAST(unnest($before) AS INTEGER) AS days_before,
       CAST(unnest($after) AS INTEGER) AS days_after
