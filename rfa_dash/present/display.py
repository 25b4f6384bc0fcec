"""A table as a person reads it: headings, one rule for missing values, sensible precision.

The pages' tables and the PDF report follow one rule: a missing value is
:data:`MISSING` ("-"), never "None", "nan" or "NaT"; a number with a fraction
shows two decimals (a share of 0.5714285714285714 is "0.57"), a whole number
none; a date with no time of day is YYYY-MM-DD; a code that is words joined by
underscores reads as words ("pain_instability": "pain instability"); a column is
headed in words (:func:`rfa_dash.present.labels.heading`: "ast_x_uln" is "AST (x
ULN)", "participant_id" is "Participant"). Only what is shown changes: the CSV
downloads keep the frame's own values and the contract's names.

Example
-------
>>> import pandas as pd
>>> shown, numeric = display_frame(pd.DataFrame({"n": [3, None], "share": [0.5714, 1.0],
...                                              "note": ["x", None]}))
>>> shown.to_dict("list"), numeric
({'n': ['3', '-'], 'Share': ['0.57', '1.00'], 'Note': ['x', '-']}, ['n', 'Share'])
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
from pandas.api import types as ptypes

from rfa_dash.contract import OFFSTUDY_REASONS, SRE_TYPES
from rfa_dash.present.labels import heading

MISSING = "-"
DECIMALS = 2

# codes a cell may hold that read as words once their underscores go ("pain_instability"
# is "pain instability"): the contract's and the derived visit statuses, nothing else (a
# column or table name in a data-quality listing stays as the export spells it)
WORDY_CODES = frozenset(SRE_TYPES + OFFSTUDY_REASONS + (
    "completed_early", "completed_late", "not_expected", "in_window", "not_recorded"))


def _number(s: pd.Series) -> pd.Series:
    values = pd.to_numeric(s, errors="coerce")
    known = values.dropna()
    whole = bool(((known % 1) == 0).all()) if len(known) else True
    fmt = "{:.0f}" if whole else f"{{:.{DECIMALS}f}}"
    return pd.Series([MISSING if pd.isna(v) else fmt.format(v) for v in values],
                     index=s.index, dtype=object)


def _date(s: pd.Series) -> pd.Series:
    known = s.dropna()
    midnight = bool((known == known.dt.normalize()).all()) if len(known) else True
    fmt = "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M"
    return pd.Series([MISSING if pd.isna(v) else v.strftime(fmt) for v in s],
                     index=s.index, dtype=object)


def _cell_text(value: object) -> object:
    """A non-missing cell of a text column with missing values: dates as ISO text, anything
    else that is not text as its text (the column is then all text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def display_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``df`` as shown, and the columns of numbers that became text (to align right).

    Numbers with a fraction or a missing value, dates and text with missing
    values become text by the rule above; whole numbers with no missing value,
    booleans and complete text are left as they are.
    """
    out = df.copy(deep=False)
    numeric: list[object] = []
    for col in df.columns:
        s = df[col]
        if ptypes.is_bool_dtype(s):
            continue
        if ptypes.is_numeric_dtype(s):
            if ptypes.is_integer_dtype(s) and not s.isna().any():
                continue   # already shown as it should be, and aligned as a number
            out[col] = _number(s)
            numeric.append(col)
        elif ptypes.is_datetime64_any_dtype(s):
            out[col] = _date(s)
        else:
            if s.dtype == object and s.isin(WORDY_CODES).any():
                s = s.map(lambda v: v.replace("_", " ") if v in WORDY_CODES else v)
                out[col] = s
            mixed = s.dtype == object and len({type(v) for v in s.dropna()}) > 1
            if s.isna().any() or mixed:   # one type per column (Arrow's): dates as text too
                out[col] = s.map(_cell_text, na_action="ignore").astype(object).where(
                    s.notna(), MISSING)
    headings = {c: heading(c) for c in out.columns}
    taken = Counter(headings.values())   # a heading two columns would share: their names
    names = {c: h if taken[h] == 1 else str(c) for c, h in headings.items()}
    return out.rename(columns=names), [names[c] for c in numeric]
