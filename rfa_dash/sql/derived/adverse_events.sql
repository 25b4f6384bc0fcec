-- ae_onset: one row per adverse event (of stg_adverse_events): its onset as a date,
-- imputed when the export gives only a month or a year, and whether it is
-- treatment-emergent.
-- Spec: treatment-emergent = onset on or after treatment_date (randomization_date
-- without one); a partial onset is imputed to the earliest date it allows that is
-- not before treatment, and flagged (onset_imputed). So 2025-05 with treatment on
-- 2025-05-10 is 2025-05-10 (emergent); 2025-03 is 2025-03-01 (before treatment).
CREATE OR REPLACE VIEW ae_onset AS
WITH a AS (
  SELECT a._line, a.participant_id, a.onset_date AS onset_text, a.term, a.soc, a.grade,
         a.serious, a.related,
         coalesce(r.treatment_date, r.randomization_date) AS start,
         CASE length(a.onset_date)
           WHEN 10 THEN CAST(a.onset_date AS DATE)
           WHEN 7 THEN CAST(a.onset_date || '-01' AS DATE)
           ELSE CAST(a.onset_date || '-01-01' AS DATE) END AS lo,
         CASE length(a.onset_date)
           WHEN 10 THEN CAST(a.onset_date AS DATE)
           WHEN 7 THEN CAST(last_day(CAST(a.onset_date || '-01' AS DATE)) AS DATE)
           ELSE CAST(a.onset_date || '-12-31' AS DATE) END AS hi
  FROM stg_adverse_events a JOIN stg_randomization r USING (participant_id)
)
SELECT _line, participant_id, onset_text,
       CASE WHEN start > lo AND start <= hi THEN start ELSE lo END AS onset_date,
       length(onset_text) < 10 AS onset_imputed,
       CASE WHEN start > lo AND start <= hi THEN start ELSE lo END >= start
         AS treatment_emergent,
       term, soc, grade, serious, related
FROM a;
