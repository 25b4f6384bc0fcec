"""Figures of the Overview page, computed for one role at one data cut."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from rfa_dash.ingest.export import Export
from rfa_dash.protocol import Role


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
    visit_counts: dict[str, int]
    participants_with_sre: int | None
    deaths: int | None
    off_study: int
    errors: int
    warnings: int


def overview(exp: Export, as_of: dt.date, role: Role) -> OverviewData:
    """Compute the Overview figures as of ``as_of`` for ``role``."""
    funnel = exp.query("enrollment_funnel", as_of=as_of)
    randomized = int(funnel.loc[funnel["stage"] == "randomized", "n"].iloc[0])
    by_arm = exp.query("randomized_by_arm", as_of=as_of) if role.allocation else None
    if by_arm is not None:
        by_arm["share"] = by_arm["n"] / by_arm["n"].sum() if randomized else 0.0
    vc = exp.query("visit_status_counts", as_of=as_of)
    outcomes = exp.query("outcome_counts", as_of=as_of).iloc[0]
    sre = int(outcomes["participants_with_sre"]) if role.outcomes else None
    deaths = int(outcomes["deaths"]) if role.outcomes else None
    return OverviewData(
        funnel=funnel, target=exp.protocol.target, randomized=randomized, by_arm=by_arm,
        visit_counts={str(k): int(v) for k, v in zip(vc["status"], vc["n"], strict=True)},
        participants_with_sre=sre, deaths=deaths, off_study=int(outcomes["off_study"]),
        errors=exp.n_errors, warnings=exp.n_warnings,
    )


# Tables whose very rows are outcomes or safety events: hidden from roles blind to outcomes.
OUTCOME_TABLES = ("sre_events", "adverse_events")


def table_summary(exp: Export, role: Role | None = None) -> pd.DataFrame:
    """Per table: the file read, rows read, rows used, rows left out.

    For a role that must not see outcomes, the outcome tables are left out
    (their row counts are counts of SREs and adverse events).
    """
    df = exp.query("table_summary")
    df.insert(1, "file", df["table"].map(exp.files))
    df["rows_left_out"] = df["rows_read"] - df["rows_used"]
    if role is not None and not role.outcomes:
        df = df[~df["table"].isin(OUTCOME_TABLES)].reset_index(drop=True)
    return df


def visible_problems(problems: pd.DataFrame, role: Role) -> tuple[pd.DataFrame, int]:
    """The problems a role may read, and how many were withheld.

    A role blind to outcomes does not see problems in the outcome tables, nor
    messages that reveal a death.
    """
    if role.outcomes:
        return problems, 0
    hide = problems["table"].isin(OUTCOME_TABLES) | problems["message"].str.contains(
        "death", case=False, na=False)
    return problems[~hide].reset_index(drop=True), int(hide.sum())


def role_problems(exp: Export, role: Role) -> tuple[pd.DataFrame, int]:
    """:func:`visible_problems` of an export (for ``ui.cached_export``)."""
    return visible_problems(exp.problems, role)


def problem_tables(exp: Export, role: Role) -> list[str]:
    """The tables with a problem ``role`` may read (the Data quality filter's choices)."""
    return sorted(visible_problems(exp.problems, role)[0]["table"].unique())


def shown_problems(exp: Export, role: Role, tables=(), severities=(),
                   text: str = "") -> pd.DataFrame:
    """The problems ``role`` may read, filtered as on the Data quality page."""
    return filter_problems(visible_problems(exp.problems, role)[0], tables, severities, text)


def filter_problems(problems: pd.DataFrame, tables=None, severities=None,
                    text: str = "") -> pd.DataFrame:
    """Problems restricted to the given tables and severities and containing ``text``."""
    df = problems
    if tables:
        df = df[df["table"].isin(tables)]
    if severities:
        df = df[df["severity"].isin(severities)]
    if text:
        needle = text.lower()
        hay = (df["message"].fillna("") + " " + df["column"].fillna("") + " "
               + df["value"].fillna(""))
        df = df[hay.str.lower().str.contains(needle, regex=False)]
    return df.reset_index(drop=True)
