"""Problems found in an export: one record per problem, in a fixed shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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


def to_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a DataFrame with the columns of ``COLUMNS``, sorted."""
    df = pd.DataFrame([asdict(p) for p in problems], columns=COLUMNS)
    df["line"] = df["line"].astype("Int64")
    order = {"screening": 0, "randomization": 1, "visits": 2, "sre_events": 3,
             "offstudy": 4, "adverse_events": 5}
    df["_t"] = df["table"].map(order).fillna(9)
    df = df.sort_values(["_t", "line", "column"], na_position="first", kind="stable")
    return df.drop(columns="_t").reset_index(drop=True)


def quote(value) -> str:
    """A raw value as it appears in a message."""
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return '"' + text + '"'
