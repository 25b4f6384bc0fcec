-- A treatment date before randomization is reported by checks/randomization.sql
-- and treated as missing (no visit is scheduled from it).
UPDATE stg_randomization SET treatment_date = NULL WHERE treatment_date < randomization_date
