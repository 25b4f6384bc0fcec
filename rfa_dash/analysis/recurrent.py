"""Every SRE, not only the first: which records count, follow-up with death terminal, the
skeletal morbidity rate and the mean cumulative number of SREs per participant.

The rules are the data specification's (Recurrent SREs): records on one date are one
SRE; a record fewer than the protocol's ``[sre] min_gap_days`` after the previous
counted SRE is the same SRE; follow-up runs from randomization to death, else to the
latest completed visit or counted SRE. The estimators are
:mod:`rfa_dash.stats.mcf` (checked against R's ``mets`` in ``tests/reference/``).
By arm for a role that sees outcomes by arm, pooled (group "all") otherwise.

The counting is done once, on the queries' NumPy columns (:func:`_count`): the pages'
frames are made from it, and the ``sre-rate`` and ``recurrent`` commands write it
without loading pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rfa_dash.blinding import (
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
from rfa_dash.ingest.export import Export
from rfa_dash.numpy_columns import day_numbers, output, stacked
from rfa_dash.stats.mcf import counted_events, event_rate, mean_cumulative_columns

if TYPE_CHECKING:   # frames for the pages; the commands make none
    import pandas as pd

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


@dataclass(frozen=True)
class _Counted:
    """The records in participant and date order with what counts (``counted``, ``after``
    an off-study date, the record each repeat ``repeats``, the participant it belongs to
    as ``owner``), and each participant's follow-up, as NumPy columns."""

    records: dict[str, np.ndarray]
    follow_up: dict[str, np.ndarray]


def _count(exp: Export, as_of: dt.date) -> _Counted:
    """Which SRE records count and each participant's follow-up (the module's rules)."""
    gap = exp.protocol.sre_min_gap_days
    rec = exp.query_columns("sre_event_listing", as_of=as_of)
    fu = exp.query_columns("recurrent_follow_up", as_of=as_of)
    pos = {pid: i for i, pid in enumerate(fu["participant_id"].tolist())}
    owner = np.asarray([pos[pid] for pid in rec["participant_id"].tolist()], dtype=np.int64)
    event_day = day_numbers(rec["event_date"])
    # participant (follow-up rows are in ID order), then date; a stable sort keeps the
    # listing's order among records of one day
    order = np.lexsort((event_day, owner))
    rec = {k: np.asarray(v)[order] for k, v in rec.items()}
    owner, event_day = owner[order], event_day[order]
    rec["days"] = rec.pop("days_from_randomization").astype(np.int64)
    # an SRE after another off-study date falls outside follow-up: not counted (data-rules)
    stop = day_numbers(fu["off_study_date"])[owner]
    after = ~np.isnan(stop) & (event_day > stop)
    inside = np.nonzero(~after)[0]
    ok, rep = counted_events(owner[inside], rec["days"][inside], gap)
    counted = np.zeros(len(owner), dtype=bool)
    counted[inside] = ok
    repeats = np.full(len(owner), -1)
    repeats[inside] = np.where(rep >= 0, inside[np.maximum(rep, 0)], -1)
    rec.update(counted=counted, after=after, repeats=repeats, owner=owner)
    # end of follow-up: death; else the latest completed visit or counted SRE (neither
    # after an off-study date); else randomization (time zero)
    n = len(pos)
    last_sre = np.full(n, np.nan)
    np.fmax.at(last_sre, owner[counted], event_day[counted])
    death = day_numbers(fu["death_date"])
    start = day_numbers(fu["randomization_date"])
    died = ~np.isnan(death)
    end = np.where(died, death, np.fmax(day_numbers(fu["last_visit_date"]), last_sre))
    end = np.where(np.isnan(end), start, end)
    days = (end - start).astype(np.int64)
    follow = {"participant_id": np.asarray(fu["participant_id"]), "arm": np.asarray(fu["arm"]),
              "died": died, "end_date": end.astype(np.int64).astype("datetime64[D]"),
              "days": days, "months": days / MONTH_DAYS, "years": days / YEAR_DAYS,
              "events": np.bincount(owner[counted], minlength=n).astype(np.int64)}
    return _Counted(rec, follow)


def recurrent_data(exp: Export, as_of: dt.date) -> Recurrent:
    """The counted SREs and each participant's follow-up (by arm; for the functions below,
    which choose pooled or by arm)."""
    import pandas as pd

    core = _count(exp, as_of)
    rec = core.records
    gap = exp.protocol.sre_min_gap_days
    dates = rec["event_date"].astype("datetime64[D]").tolist()
    why = np.full(len(dates), None, dtype=object)
    for i in np.nonzero(~rec["counted"])[0]:
        if rec["after"][i]:
            why[i] = "after off study"
        else:
            first = dates[rec["repeats"][i]]
            why[i] = ("same day as a counted SRE" if dates[i] == first else
                      f"within {gap} days of the SRE of {first.isoformat()}")
    listed = ["participant_id", "arm", "event_date", "days", "sre_type", "spine_level",
              "counted"]
    records = pd.DataFrame({c: rec[c] for c in listed}).assign(not_counted=why)
    return Recurrent(records, pd.DataFrame(core.follow_up))


def _members(core: _Counted, group: str) -> np.ndarray:
    """The follow-up rows of ``group`` (an arm, or everyone pooled)."""
    arm = core.follow_up["arm"]
    return np.arange(len(arm)) if group == POOLED else np.nonzero(arm == group)[0]


def _rates(core: _Counted, group_list: list[str]) -> list[tuple]:
    rows = []
    for g in group_list:
        part = _members(core, g)
        years = float(core.follow_up["years"][part].sum())
        events = int(core.follow_up["events"][part].sum())
        rows.append((g, len(part), events, years, *event_rate(events, years)))
    return rows


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
    import pandas as pd

    require(role, "outcomes")
    rows = _rates(_count(exp, as_of), groups(role, exp.protocol.arm_codes))
    return pd.DataFrame(rows, columns=[GROUP, *RATE_COLUMNS[1:]])


@dataclass(frozen=True)
class MeanCumulative:
    """The mean cumulative number of SREs: ``curves`` (group, time in months, mcf, lower,
    upper, at every SRE and death time) and ``table`` (group, month, at_risk, mcf, lower,
    upper at the report months)."""

    curves: pd.DataFrame
    table: pd.DataFrame


def _mcf(core: _Counted, group_list: list[str], report_months, curves: bool
         ) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    """Each group's curve (when ``curves``) and report-month table as columns, group first."""
    rec, fu = core.records, core.follow_up
    counted = rec["counted"]
    drawn, tables = [], []
    for g in group_list:
        part = _members(core, g)
        where = np.full(len(fu["arm"]), -1)
        where[part] = np.arange(len(part))
        mine = counted & (where[rec["owner"]] >= 0)
        owner = where[rec["owner"][mine]]
        times = rec["days"][mine] / MONTH_DAYS
        end, died = fu["months"][part].astype(float), fu["died"][part]
        if curves:
            grid = np.unique(np.concatenate([[0.0], times, end[died]]))
            c = mean_cumulative_columns(end, died, owner, times, grid)
            keep = ~np.isnan(c["mcf"])
            drawn.append({GROUP: np.full(int(keep.sum()), g, dtype=object),
                          **{k: v[keep] for k, v in c.items()}})
        t = mean_cumulative_columns(end, died, owner, times, report_months)
        tables.append({GROUP: np.full(len(t["time"]), g, dtype=object),
                       "month": np.asarray(list(report_months)),
                       **{k: t[k] for k in ("at_risk", "mcf", "lower", "upper")}})
    return drawn, tables


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
    import pandas as pd

    require(role, "outcomes")
    curves, tables = _mcf(_count(exp, as_of), groups(role, exp.protocol.arm_codes),
                          exp.protocol.report_months, curves=True)
    return MeanCumulative(pd.DataFrame(stacked(curves)), pd.DataFrame(stacked(tables)))


def sre_rate_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``sre-rate`` command's rows (by arm) as columns: arm, participants, events,
    participant_years, rate, lower, upper.

    Examples
    --------
    >>> t = sre_rate_table(exp, as_of)
    >>> t["arm"], sum(t["participants"])
    (['rfa_rt', 'rt_alone'], 31)
    """
    rows = _rates(_count(exp, as_of), exp.protocol.arm_codes)
    return output(dict(zip(RATE_COLUMNS, zip(*rows, strict=True), strict=True)))


def recurrent_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``recurrent`` command's rows (arm x report month) as columns: arm, month,
    at_risk, mcf, lower, upper."""
    _, tables = _mcf(_count(exp, as_of), exp.protocol.arm_codes, exp.protocol.report_months,
                     curves=False)
    cols = stacked(tables)
    return output({"arm": cols[GROUP], **{c: cols[c] for c in MCF_COLUMNS[1:]}})


def record_listing(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Every SRE record with whether it counts as a new SRE and, if not, why; the arm only
    by arm, participants numbered for an open role that must not see IDs.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.
    """
    from rfa_dash.frames import with_dates

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
