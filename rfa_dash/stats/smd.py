"""Standardized mean differences between two groups (baseline balance)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def smd_continuous(a: pd.Series, b: pd.Series) -> float:
    """Difference in means over the pooled standard deviation (NaN with fewer than 2 each).

    Examples
    --------
    >>> smd_continuous(pd.Series([1.0, 2.0, 3.0]), pd.Series([2.0, 3.0, 4.0]))
    -1.0
    """
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    return float("nan") if pooled == 0 else float((a.mean() - b.mean()) / pooled)


def smd_categorical(a: pd.Series, b: pd.Series, levels: list[object]) -> float:
    """Yang and Dalton (2012) multi-level SMD: sqrt((p1-p2)' S^-1 (p1-p2)), first level dropped.

    Examples
    --------
    Shares of "b" 1/3 and 2/3: (1/3) / sqrt((2/9 + 2/9) / 2) = sqrt(1/2).

    >>> round(smd_categorical(pd.Series(["a", "a", "b"]), pd.Series(["a", "b", "b"]),
    ...                       ["a", "b"]), 4)
    0.7071
    """
    a, b = a.dropna(), b.dropna()
    if len(a) == 0 or len(b) == 0 or len(levels) < 2:
        return float("nan")
    p1 = np.array([(a == v).mean() for v in levels[1:]])
    p2 = np.array([(b == v).mean() for v in levels[1:]])
    s = np.zeros((len(p1), len(p1)))
    for i in range(len(p1)):
        for j in range(len(p1)):
            if i == j:
                s[i, j] = (p1[i] * (1 - p1[i]) + p2[i] * (1 - p2[i])) / 2
            else:
                s[i, j] = -(p1[i] * p1[j] + p2[i] * p2[j]) / 2
    d = p1 - p2
    try:
        return float(np.sqrt(d @ np.linalg.pinv(s) @ d))
    except np.linalg.LinAlgError:
        return float("nan")
