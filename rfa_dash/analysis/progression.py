"""Pilot progression criteria: is this pilot on track to justify the main trial?

Each criterion (spec: progression criteria; CONSORT pilot extension, item 6c)
is a ratio with the protocol's green and amber thresholds: ``green`` when the
value is at or above the green threshold, ``amber`` at or above the amber one,
``red`` otherwise, ``not_yet`` while its denominator is 0. The status follows
the point estimate; the 95% interval is shown beside it. Thresholds are
compared exactly (as fractions), so a value exactly at a threshold meets it.

Nothing here is by arm. Retention is left out for a role that must not see
outcomes: with the off-study counts every role sees, the number retained would
give away the number of deaths.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from rfa_dash.analysis.accrual import accrual_start
from rfa_dash.blinding import FULL_ACCESS, Role, sees
from rfa_dash.contract import MONTH_DAYS
from rfa_dash.ingest.export import Export
from rfa_dash.months import month_ends
from rfa_dash.numpy_columns import dates, output
from rfa_dash.protocol import ProgressionRule, Protocol
from rfa_dash.stats.accrual_model import prob_at_least
from rfa_dash.stats.intervals import exact_ci, poisson_exact_ci

if TYPE_CHECKING:   # frames for the pages; the `progression` command makes none
    import pandas as pd

COLUMNS = ["criterion", "numerator", "denominator", "value", "lower", "upper", "green", "amber",
           "status"]
# retention counts withdrawals and losses: beside the off-study total it reveals deaths
NEEDS_OUTCOMES = ("retention",)


def classify(numerator: Fraction, denominator: Fraction, rule: ProgressionRule) -> str:
    """The spec's traffic light of ``numerator / denominator`` under ``rule``, compared exactly.

    Examples
    --------
    >>> from decimal import Decimal
    >>> rule = ProgressionRule("consent", "Consent", Decimal("0.70"), Decimal("0.50"))
    >>> [classify(Fraction(k), Fraction(10), rule) for k in (7, 5, 4)], classify(0, 0, rule)
    (['green', 'amber', 'red'], 'not_yet')
    """
    if denominator == 0:
        return "not_yet"
    if numerator >= Fraction(rule.green) * denominator:
        return "green"
    if numerator >= Fraction(rule.amber) * denominator:
        return "amber"
    return "red"


def expected_by(protocol: Protocol, start: dt.date | None, as_of: dt.date) -> Fraction:
    """Randomizations expected by ``as_of``: target x min(1, elapsed / planned accrual months),
    elapsed = (as_of - accrual start) in days / 30.4375; 0 before the start or without one.

    Examples
    --------
    A year into 24 planned months with a target of 36: 36 x (365 / 30.4375) / 24.

    >>> expected_by(exp.protocol, dt.date(2025, 3, 5), dt.date(2026, 3, 5))
    Fraction(8760, 487)
    """
    if start is None or as_of <= start:
        return Fraction(0)
    elapsed = Fraction((as_of - start).days) / Fraction(MONTH_DAYS)
    return Fraction(protocol.target) * min(Fraction(1),
                                           elapsed / protocol.planned_accrual_months)


def visible_rules(protocol: Protocol, role: Role) -> tuple[ProgressionRule, ...]:
    """The protocol's criteria that ``role`` may see, in the spec's order.

    Examples
    --------
    >>> [r.id for r in visible_rules(exp.protocol, exp.protocol.roles["coordinator"])]
    ['recruitment', 'consent', 'adherence', 'fidelity']
    """
    return tuple(r for r in protocol.progression
                 if r.id not in NEEDS_OUTCOMES or sees(role, "outcomes"))


def _ratios(counts: Mapping[str, Any], expected: Fraction) -> dict[str, tuple[Fraction, Fraction]]:
    """Numerator and denominator of each criterion from one row of ``progression_counts``."""
    randomized = int(counts["randomized"])
    return {
        "recruitment": (Fraction(randomized), expected),
        "consent": (Fraction(int(counts["consented"])), Fraction(int(counts["eligible"]))),
        "retention": (Fraction(randomized - int(counts["withdrawn_or_lost"])),
                      Fraction(randomized)),
        "adherence": (Fraction(int(counts["visits_done"])),
                      Fraction(int(counts["visits_expected"]))),
        "fidelity": (Fraction(int(counts["received"])), Fraction(int(counts["received_known"]))),
    }


def _row(rule: ProgressionRule, num: Fraction, den: Fraction) -> dict[str, object]:
    status = classify(num, den, rule)
    if den == 0:
        value = lower = upper = math.nan
    elif rule.id == "recruitment":  # exact Poisson on the count, over the expected number
        value = float(num / den)
        lo, hi = poisson_exact_ci(int(num))
        lower, upper = lo / float(den), hi / float(den)
    else:  # Clopper-Pearson
        value = float(num / den)
        lower, upper = exact_ci(int(num), int(den))
    return {"criterion": rule.id, "numerator": _number(num), "denominator": _number(den),
            "value": value, "lower": lower, "upper": upper, "green": float(rule.green),
            "amber": float(rule.amber), "status": status}


def _number(x: Fraction) -> int | float:
    return int(x) if x.denominator == 1 else float(x)


def _rows(exp: Export, dates_: list[dt.date], role: Role) -> list[dict[str, Any]]:
    """One row per date and visible criterion (the spec's columns, with ``as_of``)."""
    p = exp.protocol
    rules = visible_rules(p, role)
    counts = exp.query_columns("progression_counts", dates=dates_, last=max(dates_))
    # the accrual start at the last cut serves every earlier one: before it nothing is
    # expected (expected_by), and a first screening on or before a cut is the same one
    start = accrual_start(exp, max(dates_))
    rows = []
    for i, as_of in enumerate(dates(counts["as_of"])):
        assert as_of is not None   # one row per cut date asked for
        row: dict[str, Any] = {k: v[i] for k, v in counts.items()}
        if any(r.id == "adherence" for r in rules):
            # visit adherence of every visit month (as on the Visit adherence page)
            adh = exp.query_columns("visit_adherence", as_of=as_of)
            row["visits_done"], row["visits_expected"] = adh["done"].sum(), adh["expected"].sum()
        else:
            row["visits_done"] = row["visits_expected"] = 0
        ratios = _ratios(row, expected_by(p, start, as_of))
        for rule in rules:
            rows.append({"as_of": as_of, **_row(rule, *ratios[rule.id])})
    return rows


def _table(exp: Export, dates_: list[dt.date], role: Role) -> pd.DataFrame:
    """:func:`_rows` as a frame."""
    import pandas as pd

    return pd.DataFrame(_rows(exp, dates_, role), columns=["as_of", *COLUMNS])


def progression_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``progression`` command's rows as columns: every criterion, in the spec's
    order, with the spec's columns (made without pandas).

    Examples
    --------
    >>> t = progression_table(exp, as_of)
    >>> t["criterion"], t["status"][:2]
    (['recruitment', 'consent', 'retention', 'adherence', 'fidelity'], ['green', 'green'])
    """
    rows = _rows(exp, [as_of], FULL_ACCESS)
    return output({c: [r[c] for r in rows] for c in COLUMNS})


def progression(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """The progression criteria at the data cut: one row per criterion ``role`` may see, in
    the spec's order, with the spec's columns (``progression`` command) and its ``label``.

    Examples
    --------
    The coordinator does not see retention (beside the off-study counts it would
    tell the deaths):

    >>> t = progression(exp, as_of, exp.protocol.roles["coordinator"])
    >>> print(t[["criterion", "numerator", "status"]].to_string(index=False))
      criterion  numerator status
    recruitment         31  green
        consent         31  green
      adherence         64  green
       fidelity         29  green
    """
    t = _table(exp, [as_of], role).drop(columns="as_of")
    labels = {r.id: r.label for r in exp.protocol.progression}
    t.insert(1, "label", t["criterion"].map(labels))
    return t


def _settled(exp: Export, start: dt.date, as_of: dt.date) -> dt.date:
    """The last day on which a progression value can change: a record dated, a visit turning
    overdue, or the planned accrual ending (the expected recruitment stops growing)."""
    last = dates(exp.query_columns("last_change", as_of=as_of)["last_change"])[0]
    planned_end = start + dt.timedelta(days=math.ceil(exp.protocol.planned_accrual_months
                                                      * MONTH_DAYS))
    return max(planned_end, start if last is None else last)


def course(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Each visible criterion's value and status at every month end since the accrual start
    (and at the data cut), as the dashboard would have shown them then."""
    import pandas as pd

    start = accrual_start(exp, as_of)
    if start is None or start > as_of:
        return pd.DataFrame(columns=["as_of", "label", *COLUMNS])
    ends = month_ends(start, as_of)
    # past the last change (a record, a window closing, the end of planned accrual) every
    # month end shows what the first one after it shows: computed once, not once a month
    # (a data cut far in the future is otherwise thousands of queries)
    settled = _settled(exp, start, as_of)
    live = [d for d in ends if d <= settled]
    rest = [d for d in ends if d > settled]
    t = _table(exp, live + rest[:1], role)
    if len(rest) > 1:
        last = t[t["as_of"] == rest[0]]
        t = pd.concat([t, *[last.assign(as_of=d) for d in rest[1:]]], ignore_index=True)
    labels = {r.id: r.label for r in exp.protocol.progression}
    t.insert(1, "label", t["criterion"].map(labels))
    return t


@dataclass(frozen=True)
class Outlook:
    """Recruitment looking ahead (pooled), with the assumptions it rests on.

    ``p_green_at_end`` is the posterior predictive probability, under the
    Poisson-gamma accrual model, that recruitment is green at the end of the
    planned accrual period (None once it has ended, or with nobody to
    project from). ``changes`` lists the dates on which recruitment's status
    would change before that end if the recent rate holds.
    """

    status: str
    end: dt.date | None
    needed_at_end: int | None
    p_green_at_end: float | None
    recent_rate_per_month: float | None
    recent_months: int
    changes: list[tuple[dt.date, str]]
    prior_certainty: float


def recruitment_outlook(exp: Export, as_of: dt.date) -> Outlook:
    """Where recruitment is heading: the model's probability of green at the end of planned
    accrual, and when its status changes if the randomization rate of the last
    ``recent_rate_months`` holds."""
    import pandas as pd

    p = exp.protocol
    rule = next((r for r in p.progression if r.id == "recruitment"), None)
    start = accrual_start(exp, as_of)
    # only randomization counts are needed here: by day, not the criteria's full counts
    daily = exp.query("randomizations_by_day", as_of=as_of)
    days_randomized = pd.to_datetime(daily["date"]).dt.date
    m = int(daily["n"].sum())
    expected = expected_by(p, start, as_of)
    status = classify(Fraction(m), expected, rule) if rule else "not_yet"
    if rule is None or start is None or as_of <= start:
        return Outlook(status, None, None, None, None, p.recent_rate_months, [],
                       p.accrual_prior_certainty)
    planned_days = p.planned_accrual_months * MONTH_DAYS
    end = start + dt.timedelta(days=math.ceil(planned_days))
    needed = math.ceil(Fraction(rule.green) * p.target)  # value >= green at the end
    elapsed = (as_of - start).days
    p_green = None
    remaining = (end - as_of).days
    if remaining > 0:
        shape = p.target * p.accrual_prior_certainty + m
        rate = planned_days * p.accrual_prior_certainty + elapsed
        p_green = prob_at_least(shape, rate, remaining, needed - m)
    window = dt.timedelta(days=round(p.recent_rate_months * MONTH_DAYS))
    since = max(start, as_of - window)
    by_since = int(daily.loc[(days_randomized <= since).to_numpy(), "n"].sum())
    window_days = (as_of - since).days
    rate_per_day = (m - by_since) / window_days if window_days else 0.0
    changes: list[tuple[dt.date, str]] = []
    if remaining > 0:
        days = np.arange(1, remaining + 1)
        projected = m + rate_per_day * days
        exp_days = p.target * np.minimum(1.0, (elapsed + days) / planned_days)
        value = projected / exp_days
        green, amber = float(rule.green), float(rule.amber)
        future = np.where(value >= green, "green", np.where(value >= amber, "amber", "red"))
        last = status
        for d, s in zip(days, future, strict=True):
            if s != last:
                changes.append((as_of + dt.timedelta(days=int(d)), str(s)))
                last = str(s)
    return Outlook(status, end, needed, p_green, rate_per_day * MONTH_DAYS, p.recent_rate_months,
                   changes, p.accrual_prior_certainty)
