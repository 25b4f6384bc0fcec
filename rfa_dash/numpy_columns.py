"""Results as columns without pandas: NumPy arrays from DuckDB in, lists of plain values out.

The analysis commands (``sre``, ``progression``, ``sre-rate``, ``recurrent``, ``pain``)
compute on :meth:`Export.query_columns` (DuckDB's NumPy arrays, masked where NULL) and
hand the writer a dict of equally long lists, because importing pandas alone takes as
long as a command's whole floor (and pyarrow's conversions to and from NumPy import it
too). The pages keep their frames; both paths share the computation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


def floats(col: np.ndarray) -> np.ndarray:
    """A numeric column as floats, NaN where it was NULL.

    Examples
    --------
    >>> floats(np.ma.masked_array([1, 2], mask=[False, True])).tolist()
    [1.0, nan]
    """
    return np.ma.filled(np.ma.asarray(col).astype(float), np.nan)


def dates(col: np.ndarray) -> list[dt.date | None]:
    """A date or timestamp column as dates, None where it was NULL.

    Examples
    --------
    >>> d = np.ma.masked_array(np.array(["2026-01-02", "2026-01-03"], dtype="datetime64[us]"),
    ...                        mask=[False, True])
    >>> dates(d)
    [datetime.date(2026, 1, 2), None]
    """
    days = np.asarray(col).astype("datetime64[D]")
    missing = np.ma.getmaskarray(col)
    return [None if m else d.item() for d, m in zip(days, missing, strict=True)]


def day_numbers(col: np.ndarray) -> np.ndarray:
    """A date column as day numbers (float, NaN where NULL), so that a maximum skips the
    missing (``np.fmax``) and a difference is in days.

    Examples
    --------
    >>> d = np.ma.masked_array(np.array(["1970-01-03", "1970-01-01"], dtype="datetime64[us]"),
    ...                        mask=[False, True])
    >>> day_numbers(d).tolist()
    [2.0, nan]
    """
    days = np.asarray(col).astype("datetime64[D]").astype(np.int64).astype(float)
    days[np.ma.getmaskarray(col)] = np.nan
    return days


def stacked(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Column sets with the same columns, one after the other (at least one set).

    Examples
    --------
    >>> stacked([{"a": np.array([1])}, {"a": np.array([2, 3])}])["a"].tolist()
    [1, 2, 3]
    """
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def output(cols: Mapping[str, Iterable[Any]]) -> dict[str, list]:
    """Columns for the command's writer, as a frame would hold them: a column of numbers
    with any float in it is all floats (``37`` beside ``30.6`` is ``37.0``), so the JSON
    reads as it always has.

    Examples
    --------
    >>> output({"n": [37, 30.6], "k": [1, 2], "s": ["a", None]})
    {'n': [37.0, 30.6], 'k': [1, 2], 's': ['a', None]}
    """
    out = {}
    for name, values in cols.items():
        col = [v.item() if isinstance(v, np.generic) else v for v in values]
        numbers = [v for v in col if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(col) and any(isinstance(v, float) for v in numbers):
            col = [float(v) for v in col]
        out[name] = col
    return out
