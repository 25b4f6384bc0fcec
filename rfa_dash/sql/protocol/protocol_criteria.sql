-- protocol_criteria: one row per eligibility criterion of the contract, in the spec's order
-- (position from 1), with the protocol's label, whether it is a lab criterion and the
-- screening columns it reads.
CREATE OR REPLACE TABLE protocol_criteria AS
SELECT CAST(unnest($id) AS VARCHAR) AS criterion, CAST(unnest($position) AS INTEGER) AS position,
       CAST(unnest($label) AS VARCHAR) AS label, CAST(unnest($lab) AS BOOLEAN) AS lab,
       CAST(unnest($columns) AS VARCHAR[]) AS columns
