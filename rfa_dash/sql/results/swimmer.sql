-- swimmer: one row per dated event of each participant randomized on or
-- before $as_of and ranked $offset+1 .. $offset+$limit in randomization order:
-- randomization, completed visits, SREs, off study (death or other), with
-- months from randomization and the last contact (the latest of these);
-- n_participants is the total, for paging. With $shuffle the order is by a hash
-- of the ID instead (a role that must not link rows to the order of randomization).
WITH all_r AS (SELECT participant_id, arm, randomization_date,
                      row_number() OVER (ORDER BY CASE WHEN $shuffle THEN md5(participant_id)
                                                  END, randomization_date,
                                                  participant_id) AS rank,
                      count(*) OVER () AS n_participants
               FROM stg_randomization WHERE randomization_date <= $as_of),
r AS (SELECT * FROM all_r WHERE rank > $offset AND rank <= $offset + $limit),
ev AS (
  SELECT participant_id, 'randomization' AS kind, randomization_date AS date, NULL AS detail
  FROM r
  UNION ALL
  SELECT v.participant_id, 'visit', v.visit_date, 'month ' || v.visit_month
  FROM stg_visits v JOIN r USING (participant_id)
  WHERE v.status = 'completed' AND v.visit_date <= $as_of
  UNION ALL
  SELECT e.participant_id, 'sre', e.event_date, e.sre_type
  FROM stg_sre_events e JOIN r USING (participant_id) WHERE e.event_date <= $as_of
  UNION ALL
  SELECT o.participant_id, CASE WHEN o.reason = 'death' THEN 'death' ELSE 'off_study' END,
         o.off_study_date, o.reason
  FROM stg_offstudy o JOIN r USING (participant_id) WHERE o.off_study_date <= $as_of
)
SELECT ev.participant_id, r.arm, ev.kind, ev.date, ev.detail, r.n_participants,
       date_diff('day', r.randomization_date, ev.date) / (SELECT month_days FROM spec_constants) AS months,
       max(date_diff('day', r.randomization_date, ev.date)) OVER (PARTITION BY ev.participant_id)
         / (SELECT month_days FROM spec_constants) AS last_contact_months
FROM ev JOIN r USING (participant_id)
ORDER BY r.rank, ev.date
