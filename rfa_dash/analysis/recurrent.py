"""Every SRE, not only the first: which records count, follow-up with death terminal, the
skeletal morbidity rate and the mean cumulative number of SREs per participant.

The rules are the data specification's (Recurrent SREs): records on one date are one
SRE; a record fewer than the protocol's ``[sre] min_gap_days`` after the previous
counted SRE is the same SRE; follow-up runs from randomization to death, else to the
latest completed visit or counted SRE. The estimators are
:mod:`rfa_dash.stats.recurrent` (checked against R's ``mets`` in ``tests/reference/``).
By arm for a role that sees outcomes by arm, pooled (group "all") otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rfa_dash.blinding import (
    FULL_ACCESS,
    GROUP,
    POOLED,
    Role,
    groups,
    masks_ids,
    pseudonymize,
    require,
    sees,
)
from rfa_dash.contract import MONTH_DAYS
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.stats.recurrent import counted_events, event_rate, mean_cumulative

YEAR_DAYS = 365.25   # participant-years = days / 365.25 (spec)
RATE_COLUMNS = ["arm", "participants", "events", "participant_years", "rate", "lower",
                "upper"]
MCF_COLUMNS = ["arm", "month", "at_risk", "mcf", "lower", "upper"]


@dataclass(frozen=True)
class Recurrent:
    """Recurrent SREs at a data cut.

    Attributes
    ----------
    records : DataFrame
        Every SRE record (participant_id, arm, event_date, days, sre_type,
        spine_level) with ``counted`` and, for a record that is not a new SRE,
        ``not_counted`` (why).
    follow_up : DataFrame
        One row per participant: arm, died, end_date, days, months, years, events.
    """

    records: pd.DataFrame
    follow_up: pd.DataFrame


def recurrent_data(exp: Export, as_of: dt.date) -> Recurrent:
    """The counted SREs and each participant's follow-up (by arm; for the functions below,
    which choose pooled or by arm)."""
    gap = exp.protocol.sre_min_gap_days
    rec = exp.query("sre_event_listing", as_of=as_of).sort_values(
        ["participant_id", "event_date"], kind="stable").reset_index(drop=True)
    fu = exp.query("recurrent_follow_up", as_of=as_of)
    rec = rec.rename(columns={"days_from_randomization": "days"})
    # an SRE after another off-study date falls outside follow-up: not counted (data-rules)
    stop = rec["participant_id"].map(fu.set_index("participant_id")["off_study_date"])
    after = (stop.notna() & (rec["event_date"] > stop)).to_numpy()
    inside = np.nonzero(~after)[0]
    ok, rep = counted_events(rec["participant_id"].to_numpy()[inside],
                             rec["days"].to_numpy()[inside], gap)
    counted = np.zeros(len(rec), dtype=bool)
    counted[inside] = ok
    repeats = np.full(len(rec), -1)
    repeats[inside] = np.where(rep >= 0, inside[np.maximum(rep, 0)], -1)
    why = np.full(len(rec), None, dtype=object)
    dates = [d.date() for d in rec["event_date"]]
    for i in np.nonzero(~counted)[0]:
        if after[i]:
            why[i] = "after off study"
        else:
            first = dates[repeats[i]]
            why[i] = ("same day as a counted SRE" if dates[i] == first else
                      f"within {gap} days of the SRE of {first.isoformat()}")
    rec = rec.assign(counted=counted, not_counted=why)
    # end of follow-up: death; else the latest completed visit or counted SRE (neither
    # after an off-study date); else randomization (time zero)
    last_sre = rec[rec["counted"]].groupby("participant_id")["event_date"].max()
    alive_end = pd.concat([fu["last_visit_date"], fu["participant_id"].map(last_sre)],
                          axis=1).max(axis=1)
    died = fu["death_date"].notna()
    end = fu["death_date"].where(died, alive_end).fillna(fu["randomization_date"])
    days = (end - fu["randomization_date"]).dt.days
    events = fu["participant_id"].map(rec[rec["counted"]].groupby("participant_id").size())
    follow = pd.DataFrame({
        "participant_id": fu["participant_id"], "arm": fu["arm"], "died": died.to_numpy(),
        "end_date": end, "days": days, "months": days / MONTH_DAYS,
        "years": days / YEAR_DAYS, "events": events.fillna(0).astype(int)})
    return Recurrent(rec, follow)


def _groups(exp: Export, role: Role, df: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``df``'s rows per group of ``role`` (each arm's, or all of them pooled)."""
    return [(g, df if g == POOLED else df[df["arm"] == g])
            for g in groups(role, exp.protocol.arm_codes)]


def morbidity_rate(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """The skeletal morbidity rate: counted SREs per participant-year, with its exact
    Poisson interval, per group (an arm, or "all" pooled).

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    >>> t = morbidity_rate(exp, as_of, exp.protocol.roles["investigator"])
    >>> list(t.columns) == [GROUP, *RATE_COLUMNS[1:]], list(t[GROUP])
    (True, ['all'])
    """
    require(role, "outcomes")
    fu = recurrent_data(exp, as_of).follow_up
    rows = []
    for g, part in _groups(exp, role, fu):
        years = float(part["years"].sum())
        events = int(part["events"].sum())
        rows.append((g, len(part), events, years, *event_rate(events, years)))
    return pd.DataFrame(rows, columns=[GROUP, *RATE_COLUMNS[1:]])


@dataclass(frozen=True)
class MeanCumulative:
    """The mean cumulative number of SREs: ``curves`` (group, time in months, mcf, lower,
    upper, at every SRE and death time) and ``table`` (group, month, at_risk, mcf, lower,
    upper at the report months)."""

    curves: pd.DataFrame
    table: pd.DataFrame


def mean_cumulative_sres(exp: Export, as_of: dt.date, role: Role) -> MeanCumulative:
    """The mean cumulative number of counted SREs per participant, death terminal (Ghosh
    and Lin), per group, with its 95% interval and the numbers at risk.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    >>> m = mean_cumulative_sres(exp, as_of, exp.protocol.roles["dsmb"])
    >>> sorted(set(m.table["group"])), list(m.table["month"][:5])
    (['rfa_rt', 'rt_alone'], [1, 3, 6, 12, 24])
    """
    require(role, "outcomes")
    data = recurrent_data(exp, as_of)
    counted = data.records[data.records["counted"]]
    curves, tables = [], []
    for g, part in _groups(exp, role, data.follow_up):
        part = part.reset_index(drop=True)
        pos = pd.Series(np.arange(len(part)), index=part["participant_id"])
        ev = counted[counted["participant_id"].isin(pos.index)]
        owner = ev["participant_id"].map(pos).to_numpy()
        times = (ev["days"] / MONTH_DAYS).to_numpy()
        end, died = part["months"].to_numpy(float), part["died"].to_numpy(bool)
        grid = np.unique(np.concatenate([[0.0], times, end[died]]))
        c = mean_cumulative(end, died, owner, times, grid)
        c.insert(0, GROUP, g)
        curves.append(c.dropna(subset=["mcf"]))
        t = mean_cumulative(end, died, owner, times, exp.protocol.report_months)
        t = t.rename(columns={"time": "month"}).assign(month=list(exp.protocol.report_months))
        t.insert(0, GROUP, g)
        tables.append(t[[GROUP, "month", "at_risk", "mcf", "lower", "upper"]])
    return MeanCumulative(pd.concat(curves, ignore_index=True),
                          pd.concat(tables, ignore_index=True))


def sre_rate_table(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """The ``sre-rate`` command's rows (by arm): arm, participants, events,
    participant_years, rate, lower, upper."""
    return morbidity_rate(exp, as_of, FULL_ACCESS).rename(columns={GROUP: "arm"})


def recurrent_table(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """The ``recurrent`` command's rows (arm x report month): arm, month, at_risk, mcf,
    lower, upper."""
    return mean_cumulative_sres(exp, as_of, FULL_ACCESS).table.rename(columns={GROUP: "arm"})


def record_listing(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Every SRE record with whether it counts as a new SRE and, if not, why; the arm only
    by arm, participants numbered for an open role that must not see IDs.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.
    """
    require(role, "outcomes")
    rec = with_dates(recurrent_data(exp, as_of).records).rename(
        columns={"days": "days_from_randomization"})
    cols = ["participant_id", "arm", "event_date", "days_from_randomization", "sre_type",
            "spine_level", "counted", "not_counted"]
    rec = rec[cols].sort_values(["event_date", "participant_id"], kind="stable")
    rec = rec.reset_index(drop=True)
    if sees(role, "outcomes_by_arm"):
        return rec
    rec = rec.drop(columns="arm")
    return pseudonymize(rec) if masks_ids(role) else rec
