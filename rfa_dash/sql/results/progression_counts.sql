-- progression_counts: one row per data cut in $dates (none after $last, the
-- latest): the counts behind the pilot progression criteria as of that cut,
-- through the same *_at macros as every other figure: randomized; eligible and
-- consented (funnel stages); off study for withdrawal or loss to follow-up;
-- participants with received_allocated true and with it recorded. (Visits come
-- from visit_adherence.sql, one cut at a time: the visit schedule of many cuts
-- at once would hold every cut's schedule in memory.)
WITH d AS MATERIALIZED (SELECT DISTINCT unnest($dates) AS as_of),
r AS MATERIALIZED (
  SELECT d.as_of, count(r.participant_id) AS randomized,
         count(r.participant_id) FILTER (WHERE r.received_allocated) AS received,
         count(r.received_allocated) AS received_known,
         count(o.participant_id) FILTER (WHERE o.reason IN ('withdrawal', 'lost_to_follow_up'))
           AS withdrawn_or_lost
  FROM d
  LEFT JOIN stg_randomization r ON r.randomization_date <= d.as_of
  LEFT JOIN stg_offstudy o ON o.participant_id = r.participant_id AND o.off_study_date <= d.as_of
  GROUP BY d.as_of
),
e AS MATERIALIZED (
  -- no eligibility rule reads the cut, so each patient's status at the last cut
  -- ($last) holds at every earlier one: a cut only decides who is screened and
  -- who has consented by then
  SELECT d.as_of,
         count(*) FILTER (WHERE q.status = 'eligible' AND q.screen_date <= d.as_of) AS eligible,
         count(*) FILTER (WHERE q.status = 'eligible' AND q.screen_date <= d.as_of
                          AND consented_by(q.consented, q.consent_date, d.as_of)) AS consented
  FROM d CROSS JOIN (SELECT s.status, x.screen_date, x.consented, x.consent_date
                     FROM eligibility_status_at($last) s
                     JOIN eligibility_at($last) x USING (screening_id)) q
  GROUP BY d.as_of
)
SELECT d.as_of, r.randomized, coalesce(e.eligible, 0) AS eligible,
       coalesce(e.consented, 0) AS consented, r.withdrawn_or_lost, r.received, r.received_known
FROM d JOIN r USING (as_of) LEFT JOIN e USING (as_of)
ORDER BY d.as_of
