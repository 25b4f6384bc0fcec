-- screening_dates: one row: the first screen date, the first randomization date
-- and the number of patients screened on or before $as_of.
SELECT min(screen_date) AS first_screen, count(*) AS screened,
       (SELECT min(randomization_date) FROM stg_randomization
        WHERE randomization_date <= $as_of) AS first_randomization
FROM stg_screening WHERE screen_date <= $as_of
