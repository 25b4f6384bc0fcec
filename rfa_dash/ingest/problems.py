"""Problems found in an export: one record per problem, in a fixed shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from rfa_dash.contract import TABLE_ORDER

if TYPE_CHECKING:   # pandas loads when a frame is asked for: `check` never needs it
    import pandas as pd

COLUMNS = ["table", "line", "column", "severity", "message", "value"]


@dataclass(frozen=True)
class Problem:
    """One contract problem.

    ``line`` is the file line (header = 1) or ``None`` for a file-level
    problem; ``value`` is the offending raw value, when there is one.
    """

    table: str
    line: int | None
    column: str
    severity: str  # "error" or "warning"
    message: str
    value: str | None = None


def to_table(problems: list[Problem]) -> pa.Table:
    """Problems as an Arrow table with the columns of ``COLUMNS``, sorted by table (in the
    contract's order), line (file-level problems first) and column."""
    rank = {t: i for i, t in enumerate(TABLE_ORDER)}
    rows = sorted(problems, key=lambda p: (rank.get(p.table, len(rank)), p.line is not None,
                                           p.line or 0, p.column))
    return pa.table({c: pa.array([getattr(p, c) for p in rows],
                                 pa.int64() if c == "line" else pa.string())
                     for c in COLUMNS})


def frame_of(table: pa.Table) -> pd.DataFrame:
    """The problems table as a DataFrame: text columns of Python objects, ``line`` Int64."""
    import pandas as pd

    df = pd.DataFrame({c: pd.Series(table.column(c).to_pylist(), dtype=object)
                       for c in COLUMNS})
    df["line"] = df["line"].astype("Int64")
    return df


def to_frame(problems: list[Problem]) -> pd.DataFrame:
    """:func:`to_table` as a DataFrame (:func:`frame_of`)."""
    return frame_of(to_table(problems))


def quote(value: object) -> str:
    """A raw value as it appears in a message."""
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return '"' + text + '"'
