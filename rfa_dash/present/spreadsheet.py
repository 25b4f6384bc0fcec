"""CSV for spreadsheets, with formula injection neutralized (OWASP, "CSV Injection").

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return can be run as a formula when the file is opened in a spreadsheet; an
ID such as ``=HYPERLINK(...)`` in an export must not become a live link in a
coordinator's worklist. Such text cells get a leading ``'``, which
spreadsheets show as plain text. Numbers, dates and booleans are left as
they are (a negative number is a number, not a formula). Every download
meant for a spreadsheet goes through :func:`spreadsheet_csv`; the command
line's ``--format csv`` stays verbatim, as the data contract requires.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(column: pd.Series) -> pd.Series:
    """A text column with every cell that could start a formula prefixed by ``'``."""
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return column
    text = column.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
    return column.where(~text.astype(bool), "'" + column.astype(str))


def spreadsheet_csv(df: pd.DataFrame) -> bytes:
    """``df`` as UTF-8 CSV for a spreadsheet: no index, text cells neutralized."""
    safe = df.copy() if len(df.columns) else df
    for c in safe.columns:
        safe[c] = neutralize(safe[c])
    return safe.to_csv(index=False).encode("utf-8")
