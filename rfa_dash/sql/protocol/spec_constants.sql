-- spec_constants: exactly one row, the specification's constants (the month length in days,
-- contract.MONTH_DAYS, for months from days in SQL).
CREATE OR REPLACE TABLE spec_constants AS SELECT CAST($month_days AS DOUBLE) AS month_days
