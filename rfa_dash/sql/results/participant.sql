-- participant: one row (none when $pid is not randomized on or before $as_of): the
-- participant's screening, consent, randomization, arm, treatment, baseline pain and
-- opioid use, and off study (on or before $as_of) with its reason.
SELECT r.participant_id, r.screening_id, s.screen_date, s.consented, s.consent_date,
       r.randomization_date, r.arm, r.treatment_date, r.received_allocated,
       r.pain_nrs AS baseline_pain, r.omed_mg AS baseline_omed,
       o.off_study_date, o.reason AS off_study_reason
FROM stg_randomization r
LEFT JOIN stg_screening s USING (screening_id)
LEFT JOIN stg_offstudy o
  ON o.participant_id = r.participant_id AND o.off_study_date <= $as_of
WHERE r.participant_id = $pid AND r.randomization_date <= $as_of
