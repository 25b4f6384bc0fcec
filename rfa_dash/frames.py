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


def in_arm_order(df: pd.DataFrame, codes: list[str], column: str = "arm") -> pd.DataFrame:
    """``df``'s rows in the order of ``codes`` (the protocol's arms as this report or page
    orders them; the database keeps the protocol file's order)."""
    rank = {c: i for i, c in enumerate(codes)}
    order = df[column].map(lambda c: rank.get(c, len(rank))).to_numpy().argsort(kind="stable")
    return df.iloc[order].reset_index(drop=True)
