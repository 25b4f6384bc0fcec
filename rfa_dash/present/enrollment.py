"""Accrual rates as people read them."""

from __future__ import annotations

import pandas as pd

from rfa_dash.analysis.accrual import Accrual


def rates_display(rates: pd.DataFrame) -> pd.DataFrame:
    """Rates as people read them: k/n, percentage and the exact interval."""
    def pct(x):
        return "-" if x != x else f"{x:.0%}"

    return pd.DataFrame({
        "Rate": rates["rate"], "k": rates["k"], "n": rates["n"],
        "Estimate": rates["estimate"].map(pct),
        "95% CI (exact)": [f"{pct(lo)}-{pct(hi)}" if lo == lo else "-"
                           for lo, hi in zip(rates["lower"], rates["upper"], strict=True)],
    })


def rates_view(acc: Accrual, protocol=None) -> pd.DataFrame:
    """:func:`rates_display` of an accrual's screening rates (a view for ``ui.cached``)."""
    return rates_display(acc.rates)
