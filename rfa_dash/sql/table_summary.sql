-- table_summary: one row per contract table: rows read from the file and rows
-- kept after validation (the rest were left out and are listed as problems).
-- Rows read are counted at load time into rows_read (the raw text is not kept).
SELECT 'screening' AS "table", (SELECT n FROM rows_read WHERE tbl = 'screening') AS rows_read,
       (SELECT count(*) FROM stg_screening) AS rows_used
UNION ALL SELECT 'randomization', (SELECT n FROM rows_read WHERE tbl = 'randomization'),
       (SELECT count(*) FROM stg_randomization)
UNION ALL SELECT 'visits', (SELECT n FROM rows_read WHERE tbl = 'visits'),
       (SELECT count(*) FROM stg_visits)
UNION ALL SELECT 'sre_events', (SELECT n FROM rows_read WHERE tbl = 'sre_events'),
       (SELECT count(*) FROM stg_sre_events)
UNION ALL SELECT 'offstudy', (SELECT n FROM rows_read WHERE tbl = 'offstudy'),
       (SELECT count(*) FROM stg_offstudy)
UNION ALL SELECT 'adverse_events', (SELECT n FROM rows_read WHERE tbl = 'adverse_events'),
       (SELECT count(*) FROM stg_adverse_events)
