-- eligibility_status_counts: one row per eligibility status (eligible,
-- ineligible, incomplete) of patients screened on or before $as_of.
SELECT status, count(*) AS n FROM eligibility_status_at($as_of) GROUP BY status
