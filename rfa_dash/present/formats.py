"""Numbers as people read them in tables and sentences."""

from __future__ import annotations

import math


def fmt_p(p: float) -> str:
    """A p-value as reported: three decimals, below 0.001 as "p < 0.001"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fmt_ci(cif: float, lower: float, upper: float) -> str:
    """"12.3% (4.5-30.1)" or "-" when not estimable."""
    if cif is None or (isinstance(cif, float) and math.isnan(cif)):
        return "-"
    if lower is None or math.isnan(lower):
        return f"{cif:.1%}"
    return f"{cif:.1%} ({lower:.1%}-{upper:.1%})"


def fmt_est(value: float, lower: float, upper: float, digits: int = 2) -> str:
    """"0.45 (0.22-0.91)" for a count or a rate, or "-" when not estimable.

    Example
    -------
    >>> fmt_est(0.4536, 0.225, 0.9145), fmt_est(0.0, float("nan"), float("nan"))
    ('0.45 (0.23-0.91)', '0.00')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if lower is None or math.isnan(lower):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({lower:.{digits}f}-{upper:.{digits}f})"


def fmt_day(value: object) -> str:
    """A date as YYYY-MM-DD, "-" when missing.

    Example
    -------
    >>> import pandas as pd
    >>> fmt_day(pd.Timestamp("2025-10-18")), fmt_day(pd.NaT), fmt_day(None)
    ('2025-10-18', '-', '-')
    """
    if value is None or value != value or str(value) == "NaT":
        return "-"
    return str(value)[:10]


def fmt_number(value: object) -> str:
    """A number without a needless ".0", "-" when missing.

    Example
    -------
    >>> fmt_number(30.0), fmt_number(12.5), fmt_number(float("nan"))
    ('30', '12.5', '-')
    """
    if value is None or value != value:
        return "-"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:g}"
