"""Skeletal-related events: derivation, cumulative incidence by arm, Gray's test.

The estimator is :mod:`rfa_dash.stats.cif` (Aalen-Johansen with death as the
competing risk); comprisk's ``gray_test`` gives Gray's K-sample test. Both are
checked against R (``etm``, ``cmprsk``, ``survival``) in ``tests/reference/``.
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
    coarse_months,
    masks_ids,
    pseudonymize,
    require,
    sees,
)
from rfa_dash.contract import SRE_TYPES
from rfa_dash.ingest.export import Export
from rfa_dash.numpy_columns import output, stacked
from rfa_dash.stats.cif import Columns, cif_columns, estimates

if TYPE_CHECKING:   # pandas is imported where a frame is made: the `sre` command needs none
    import pandas as pd

TABLE_COLUMNS = ["month", "at_risk", "cif", "lower", "upper"]


def outcomes(exp: Export, as_of: dt.date, sre_types=SRE_TYPES) -> pd.DataFrame:
    """One row per randomized participant: status (1 SRE, 2 death, 0 censored) and months."""
    return exp.query("sre_outcomes", as_of=as_of, sre_types=list(sre_types))


def _by_group(arm: np.ndarray, status: np.ndarray, months: np.ndarray, report_months,
              group_list: list[str]) -> tuple[list[Columns], list[Columns], dict[str, int]]:
    """Each group's curve and report-month table as columns (with ``group`` first), and its
    number of events of interest: the one computation behind the frames and the command."""
    curves, tables, events = [], [], {}
    for g in group_list:
        keep = slice(None) if g == POOLED else arm == g
        t, s = months[keep], status[keep]
        c = cif_columns(t, s)
        curves.append({GROUP: np.full(len(c["time"]), g, dtype=object), **c})
        e = estimates(c, report_months, t)
        tables.append({GROUP: np.full(len(e["month"]), g, dtype=object), **e})
        events[g] = int((s == 1).sum())
    return curves, tables, events


@dataclass(frozen=True)
class SreResult:
    """Cumulative incidence of SRE for a set of groups (arms, or one pooled group).

    ``curves`` has one row per group (column ``group``: an arm code, or "all"
    when pooled) and distinct time; ``table`` one row per group and report
    month; ``gray`` is None unless every arm has enough events for the test
    to mean something.
    """

    curves: pd.DataFrame
    table: pd.DataFrame
    events_per_group: dict
    gray: dict | None
    gray_min_events: int


def cumulative_incidence(out: pd.DataFrame, report_months, arm_codes: list[str], by_arm: bool,
                         gray_min_events: int) -> SreResult:
    """Cumulative incidence of status 1 by arm (``by_arm``) or pooled, with Gray's test.

    Parameters
    ----------
    out : DataFrame
        :func:`outcomes` rows (``arm``, ``status``, ``months``).
    report_months : sequence of int
        Months at which estimates are tabulated.
    arm_codes : list of str
        Arms in display order.
    by_arm : bool
        Split by arm (closed report) or pool every participant (open report).
    gray_min_events : int
        Gray's test is computed only when every arm has at least this many
        events of interest (:func:`rfa_dash.present.outcomes.gray_note` says why
        when it is not).

    Examples
    --------
    Two arms by hand: in arm "a" one SRE among 2 at month 1; in arm "b" a death, then an
    SRE among the 1 left at month 2 (1/2 x 1/1).

    >>> import pandas as pd
    >>> out = pd.DataFrame({"arm": ["a", "a", "b", "b"], "status": [1, 0, 2, 1],
    ...                     "months": [1.0, 3.0, 1.0, 2.0]})
    >>> r = cumulative_incidence(out, [3], ["a", "b"], by_arm=True, gray_min_events=5)
    >>> print(r.table[["group", "month", "at_risk", "cif"]].to_string(index=False))
    group  month  at_risk  cif
        a      3        1  0.5
        b      3        0  NaN
    >>> r.gray, r.events_per_group
    (None, {'a': 1, 'b': 1})
    """
    import pandas as pd

    curves, tables, events = _by_group(
        out["arm"].to_numpy(object), out["status"].to_numpy(int),
        out["months"].to_numpy(float), report_months, arm_codes if by_arm else [POOLED])
    gray = None
    if by_arm and all(n >= gray_min_events for n in events.values()):
        from comprisk import gray_test

        r = gray_test(out["months"].to_numpy(float), out["status"].to_numpy(int),
                      out["arm"].to_numpy(str), cause=1)
        gray = {"statistic": float(r.stat), "df": int(r.df), "p_value": float(r.pvalue)}
    return SreResult(curves=pd.DataFrame(stacked(curves)),
                     table=pd.DataFrame(stacked(tables)), events_per_group=events,
                     gray=gray, gray_min_events=gray_min_events)


def sre_analysis(exp: Export, as_of: dt.date, role: Role, sre_types=SRE_TYPES,
                 gray: bool = True) -> SreResult:
    """Cumulative incidence of SRE (of ``sre_types``) at the data cut for ``role``: by arm
    for a role that sees outcomes by arm, pooled otherwise.

    ``gray=False`` skips Gray's test (the component analyses do not report it).

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    >>> roles = exp.protocol.roles
    >>> sre_analysis(exp, as_of, roles["investigator"]).events_per_group
    {'all': 5}
    >>> sre_analysis(exp, as_of, roles["dsmb"]).events_per_group
    {'rfa_rt': 1, 'rt_alone': 4}
    """
    require(role, "outcomes")
    by_arm = sees(role, "outcomes_by_arm")
    p = exp.protocol
    return cumulative_incidence(outcomes(exp, as_of, sre_types), p.report_months, p.arm_codes,
                                by_arm, p.gray_min_events_per_arm if gray else 2**62)


def sre_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``sre`` command's rows as columns: arm, month, at_risk, cif, lower, upper
    (always by arm), computed on the query's NumPy columns (no pandas: the command starts
    in a third of the time).

    Examples
    --------
    On the bundled sample (``exp``) at its data cut (``as_of``):

    >>> t = sre_table(exp, as_of)
    >>> t["arm"][:3], t["at_risk"][:3], [round(x, 4) for x in t["cif"][:3]]
    (['rfa_rt', 'rfa_rt', 'rfa_rt'], [19, 15, 8], [0.0, 0.0, 0.0947])
    """
    out = exp.query_columns("sre_outcomes", as_of=as_of, sre_types=list(SRE_TYPES))
    p = exp.protocol
    _, tables, _ = _by_group(out["arm"], out["status"].astype(int),
                             out["months"].astype(float), p.report_months, p.arm_codes)
    cols = stacked(tables)
    return output({"arm": cols[GROUP], **{c: cols[c] for c in TABLE_COLUMNS}})


def pooled_at(exp: Export, as_of: dt.date, month: int) -> tuple[float, float, float]:
    """The cumulative incidence of a first SRE at ``month`` over every randomized
    participant pooled, with its 95% interval, as the ``sre`` command computes an arm's
    (NaN where nobody is followed that long). Pooled: it reveals nothing by arm.

    Examples
    --------
    >>> [round(x, 4) for x in pooled_at(exp, as_of, 3)]
    [0.1185, 0.0398, 0.3243]
    """
    out = exp.query_columns("sre_outcomes", as_of=as_of, sre_types=list(SRE_TYPES))
    _, tables, _ = _by_group(out["arm"], out["status"].astype(int),
                             out["months"].astype(float), [month], [POOLED])
    t = tables[0]
    return float(t["cif"][0]), float(t["lower"][0]), float(t["upper"][0])


def components(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Cumulative incidence of each SRE component (death competing), at the report months."""
    import pandas as pd

    rows = []
    for key, (label, types) in exp.protocol.sre_components.items():
        t = sre_analysis(exp, as_of, role, types, gray=False).table
        t.insert(0, "component", label)
        t.insert(0, "key", key)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def events_by_type(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """SRE counts by type (all events, and participants with at least one), by arm or pooled.

    Examples
    --------
    >>> t = events_by_type(exp, as_of, exp.protocol.roles["investigator"])
    >>> print(t.to_string(index=False))
    group               sre_type  events  participants
      all       cord_compression       1             1
      all nerve_root_compression       1             1
      all       pain_instability       2             2
      all    pathologic_fracture       2             1
      all              repeat_rt       2             2
    """
    require(role, "outcomes")
    ev = exp.query("sre_event_listing", as_of=as_of).rename(columns={"arm": GROUP})
    if not sees(role, "outcomes_by_arm"):
        ev = ev.assign(**{GROUP: POOLED})
    g = ev.groupby([GROUP, "sre_type"]).agg(events=("participant_id", "size"),
                                             participants=("participant_id", "nunique"))
    return g.reset_index()


def event_listing(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Every SRE, in date order; the arm column only when by arm.

    Examples
    --------
    The open role's listing names no participant, and its dates are months:

    >>> t = event_listing(exp, as_of, exp.protocol.roles["investigator"])
    >>> print(t.head(3).to_string(index=False))
    participant_id event_date               sre_type spine_level
                #1    2025-12       pain_instability         T10
                #1    2025-12              repeat_rt          L2
                #1    2025-12 nerve_root_compression          T6
    """
    require(role, "outcomes")
    from rfa_dash.frames import with_dates

    ev = with_dates(exp.query("sre_event_listing", as_of=as_of))
    if sees(role, "outcomes_by_arm"):
        return ev
    ev = ev.drop(columns="arm")
    return pseudonymize(ev) if masks_ids(role) else ev


SWIMMER_PAGE = 60


def swimmer(exp: Export, as_of: dt.date, role: Role, page: int = 1,
            page_size: int = SWIMMER_PAGE) -> pd.DataFrame:
    """Swimmer-plot events for one page of participants (in randomization order).

    Each row's group is its arm only when by arm (otherwise every row says "all").
    """
    require(role, "outcomes")
    masked = masks_ids(role)
    sw = exp.query("swimmer", as_of=as_of, offset=(page - 1) * page_size, limit=page_size,
                   shuffle=masked).rename(columns={"arm": GROUP})
    if sees(role, "outcomes_by_arm"):
        return sw
    sw = sw.assign(**{GROUP: POOLED})
    if masked:   # numbered by position, in an order unrelated to randomization; lengths
        # in whole months (to the day they give the randomization date back)
        sw = coarse_months(pseudonymize(sw, drop=("date",), first=(page - 1) * page_size + 1))
    return sw
