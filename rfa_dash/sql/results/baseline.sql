-- baseline: one row per participant randomized on or before $as_of with the
-- baseline characteristics compared between arms (age and sex from screening).
SELECT r.participant_id, r.arm, s.age, s.sex, r.primary_tumor, r.ecog, r.lesion_type, r.sins,
       r.pain_nrs,
       len(list_filter(list_distinct(list_transform(string_split(s.spine_levels, ';'),
                                                    lambda x: upper(trim(x)))),
                       lambda x: x <> '')) AS n_levels,
       r.received_allocated
FROM stg_randomization r LEFT JOIN stg_screening s USING (screening_id)
WHERE r.randomization_date <= $as_of
ORDER BY r.participant_id
