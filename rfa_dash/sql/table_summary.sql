-- table_summary: one row per contract table: rows read from the file and rows
-- kept after validation (the rest were left out and are listed as problems).
SELECT 'screening' AS "table", (SELECT count(*) FROM raw_screening) AS rows_read,
       (SELECT count(*) FROM stg_screening) AS rows_used
UNION ALL SELECT 'randomization', (SELECT count(*) FROM raw_randomization),
       (SELECT count(*) FROM stg_randomization)
UNION ALL SELECT 'visits', (SELECT count(*) FROM raw_visits), (SELECT count(*) FROM stg_visits)
UNION ALL SELECT 'sre_events', (SELECT count(*) FROM raw_sre_events),
       (SELECT count(*) FROM stg_sre_events)
UNION ALL SELECT 'offstudy', (SELECT count(*) FROM raw_offstudy),
       (SELECT count(*) FROM stg_offstudy)
UNION ALL SELECT 'adverse_events', (SELECT count(*) FROM raw_adverse_events),
       (SELECT count(*) FROM stg_adverse_events)
