"""Small helpers for result frames shown in tables and downloads."""

from __future__ import annotations

import pandas as pd


def n_pages(n_items: int, page_size: int) -> int:
    """Pages needed to show ``n_items`` rows ``page_size`` at a time (at least one)."""
    return max(1, -(-n_items // page_size))


def with_dates(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every datetime column as plain dates (no 00:00:00 in tables)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.date
    return out
