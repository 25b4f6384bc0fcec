-- Scalar macros used by the typed staging layer: each parses one raw text
-- value and returns NULL when it does not meet the contract. Spaces around a
-- value are allowed (the patterns say so) rather than trimmed first: trimming
-- every cell of a large export costs more than the parsing itself.
CREATE OR REPLACE MACRO rfa_date(x) AS
  CASE WHEN regexp_full_match(x, ' *\d{4}-\d{2}-\d{2} *') THEN TRY_CAST(x AS DATE) END;

CREATE OR REPLACE MACRO rfa_bool(x) AS
  CASE WHEN lower(x) IN ('true', 'yes', 'y', '1') THEN true
       WHEN lower(x) IN ('false', 'no', 'n', '0') THEN false END;

-- Decimals, never binary floats: thresholds compare exactly (1.8 <= 1.5 * 1.2).
CREATE OR REPLACE MACRO rfa_num(x, lo, hi) AS
  CASE WHEN regexp_full_match(x, ' *[+-]?(\d+\.?\d*|\.\d+) *')
        AND TRY_CAST(x AS DECIMAL(18, 6)) BETWEEN lo AND hi
       THEN TRY_CAST(x AS DECIMAL(18, 6)) END;

CREATE OR REPLACE MACRO rfa_int(x, lo, hi) AS
  CASE WHEN regexp_full_match(x, ' *[+-]?\d+(\.0*)? *')
        AND TRY_CAST(x AS DECIMAL(18, 6)) BETWEEN lo AND hi
       THEN CAST(TRY_CAST(x AS DECIMAL(18, 6)) AS INTEGER) END;
