-- Scalar macros used by the typed staging layer: each parses one raw text
-- value and returns NULL when it does not meet the contract. Spaces around a
-- value are allowed (the patterns say so) rather than trimmed first: trimming
-- every cell of a large export costs more than the parsing itself.
-- A date is YYYY-MM-DD with a year from 1900 to 2199: a trial's dates, and within what
-- every layer can hold (pandas' nanosecond timestamps end in 2262; year 0000 is none).
CREATE OR REPLACE MACRO rfa_date(x) AS
  CASE WHEN regexp_full_match(x, ' *(19|20|21)\d{2}-\d{2}-\d{2} *') THEN TRY_CAST(x AS DATE) END;

-- A date that may be partly known: YYYY-MM-DD as rfa_date, or YYYY-MM, or YYYY; kept as
-- that text (trimmed), imputed where it is used (sql/derived/adverse_events.sql).
CREATE OR REPLACE MACRO rfa_partial_date(x) AS
  CASE WHEN rfa_date(x) IS NOT NULL THEN strftime(rfa_date(x), '%Y-%m-%d')
       WHEN regexp_full_match(x, ' *(19|20|21)\d{2}-(0[1-9]|1[0-2]) *') THEN trim(x)
       WHEN regexp_full_match(x, ' *(19|20|21)\d{2} *') THEN trim(x) END;

CREATE OR REPLACE MACRO rfa_bool(x) AS
  CASE WHEN lower(x) IN ('true', 'yes', 'y', '1') THEN true
       WHEN lower(x) IN ('false', 'no', 'n', '0') THEN false END;

-- Decimals, never binary floats: thresholds compare exactly (1.8 <= 1.5 * 1.2).
-- A number is optional spaces, an optional sign, digits with at most one decimal
-- point, optional spaces. DuckDB's cast accepts exactly that plus exponents
-- (1e3), digit separators (1_000) and tabs or line breaks around the number, so
-- "the cast succeeds and every character is a digit, point, sign or space" is
-- the same rule, and a far cheaper test than matching the whole pattern
-- (tests/unit/test_validation.py compares the two on random text).
CREATE OR REPLACE MACRO rfa_num(x, lo, hi) AS
  CASE WHEN TRY_CAST(x AS DECIMAL(18, 6)) BETWEEN lo AND hi
        AND regexp_full_match(x, '[0-9. +-]*')
       THEN TRY_CAST(x AS DECIMAL(18, 6)) END;

-- Whole numbers, also written with a decimal point and zeros (3, 3., 3.00); the
-- full pattern here, as the cast rounds 3.0000001 to a whole number (few
-- columns are whole numbers, so its cost is small).
CREATE OR REPLACE MACRO rfa_int(x, lo, hi) AS
  CASE WHEN regexp_full_match(x, ' *[+-]?\d+(\.0*)? *')
        AND TRY_CAST(x AS DECIMAL(18, 6)) BETWEEN lo AND hi
       THEN CAST(TRY_CAST(x AS DECIMAL(18, 6)) AS INTEGER) END;
