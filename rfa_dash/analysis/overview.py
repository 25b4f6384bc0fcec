"""Figures of the Overview page, computed for one role at one data cut."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from rfa_dash.analysis.balance import allocation_date, randomized_by_arm
from rfa_dash.blinding import Role, sees
from rfa_dash.ingest.export import Export


@dataclass(frozen=True)
class OverviewData:
    """Everything the Overview shows.

    ``by_arm`` is None for a role that must not see allocation, and the
    outcome counts are None for a role that must not see outcomes: they are
    never computed for such a role, so they cannot leak through the page.
    """

    funnel: pd.DataFrame
    target: int
    randomized: int
    by_arm: pd.DataFrame | None
    allocation_as_of: dt.date | None   # the date of by_arm's counts (a month end, maybe)
    visit_counts: dict[str, int]
    participants_with_sre: int | None
    deaths: int | None
    off_study: int
    errors: int
    warnings: int


def overview(exp: Export, as_of: dt.date, role: Role) -> OverviewData:
    """Compute the Overview figures as of ``as_of`` for ``role``.

    Examples
    --------
    >>> o = overview(exp, as_of, exp.protocol.roles["coordinator"])
    >>> o.randomized, o.target, o.participants_with_sre   # no outcomes for the coordinator
    (31, 36, None)
    """
    funnel = exp.query("enrollment_funnel", as_of=as_of)
    randomized = int(funnel.loc[funnel["stage"] == "randomized", "n"].iloc[0])
    alloc = allocation_date(exp, role, as_of) if sees(role, "allocation") else None
    by_arm = randomized_by_arm(exp, alloc) if alloc is not None else None
    if by_arm is not None:
        total = by_arm["n"].sum()
        by_arm["share"] = by_arm["n"] / total if total else 0.0
    vc = exp.query("visit_status_counts", as_of=as_of)
    outcomes = exp.query("outcome_counts", as_of=as_of).iloc[0]
    sre = int(outcomes["participants_with_sre"]) if sees(role, "outcomes") else None
    deaths = int(outcomes["deaths"]) if sees(role, "outcomes") else None
    return OverviewData(
        funnel=funnel, target=exp.protocol.target, randomized=randomized, by_arm=by_arm,
        allocation_as_of=alloc,
        visit_counts={str(k): int(v) for k, v in zip(vc["status"], vc["n"], strict=True)},
        participants_with_sre=sre, deaths=deaths, off_study=int(outcomes["off_study"]),
        errors=exp.n_errors, warnings=exp.n_warnings,
    )
