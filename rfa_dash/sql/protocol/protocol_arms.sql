-- protocol_arms: one row per arm of the protocol file, in its order (position from 0).
CREATE OR REPLACE TABLE protocol_arms AS
SELECT CAST(unnest($code) AS VARCHAR) AS code, CAST(unnest($label) AS VARCHAR) AS label,
       CAST(unnest($ratio) AS INTEGER) AS ratio, CAST(unnest($position) AS INTEGER) AS position
