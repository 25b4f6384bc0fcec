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
