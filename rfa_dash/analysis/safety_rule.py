"""The safety stopping rule: continuous monitoring of one arm's harms (spec: "Safety
stopping rule"), from the protocol file's ``[safety_rule]`` and the data cut.

Who is evaluable and when is ``sql/results/safety_rule_participants.sql``; the
boundary, its level and the operating characteristics are exact
(:mod:`rfa_dash.stats.safety_boundary`). The counts name one arm's harms: only a role
that sees outcomes by arm gets the path (x(k) against r(k)); an open role gets the
rule, the boundary, the operating characteristics and the status with the date it was
first crossed, nothing counted; a role that sees no outcomes gets nothing. The command
line, like ``sre``, prints everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from rfa_dash.blinding import Role, require, sees
from rfa_dash.decision_settings import SafetyRuleSettings
from rfa_dash.ingest.export import Export
from rfa_dash.numpy_columns import dates, output
from rfa_dash.stats.safety_boundary import Boundary, crossing, design, oc_rates

PATH_COLUMNS = ("k", "max_events", "events", "date", "status")
OC_COLUMNS = ("p", "crossing_probability", "expected_n")


@lru_cache(maxsize=16)
def _designed(p0: float, n_max: int, alpha: float) -> Boundary:
    return design(p0, n_max, alpha)


def rule_boundary(s: SafetyRuleSettings) -> Boundary:
    """The boundary the settings give (computed once per setting)."""
    return _designed(s.p0, s.n_max, s.alpha)


def operating_characteristics(s: SafetyRuleSettings) -> dict[str, list]:
    """For each true rate (0.05 to 0.50 by 0.05, with p0 and p1): the exact probability
    of crossing by n_max and the expected number evaluable when monitoring ends.

    Examples
    --------
    >>> oc = operating_characteristics(exp.protocol.safety_rule)
    >>> oc["p"][:3], [round(x, 4) for x in oc["crossing_probability"][1:2]]
    ([0.05, 0.1, 0.15], [0.0991])
    """
    b = rule_boundary(s)
    rows = [(p, *crossing(b.max_events, p)[:2]) for p in oc_rates(s.p0, s.p1)]
    return output({c: [r[i] for r in rows] for i, c in enumerate(OC_COLUMNS)})


@dataclass(frozen=True)
class Evaluable:
    """The evaluable participants in path order: their IDs, days and outcomes."""

    ids: list[str]
    days: list[dt.date | None]     # never None: an outcome comes with its day (the SQL)
    outcomes: list[int]


def evaluable(exp: Export, as_of: dt.date) -> Evaluable:
    """The monitored arm's evaluable participants at the data cut, in the order they
    became evaluable (then participant ID)."""
    s = exp.protocol.safety_rule
    q = exp.query_columns("safety_rule_participants", as_of=as_of, arm=s.arm,
                          window_days=s.window_days, min_grade=s.min_grade,
                          related_only=s.related_only)
    keep = ~np.ma.getmaskarray(q["outcome"])
    ids = [str(x) for x, k in zip(np.asarray(q["participant_id"]), keep, strict=True) if k]
    days = [d for d, k in zip(dates(q["evaluable_date"]), keep, strict=True) if k]
    outs = [int(x) for x, k in zip(np.ma.filled(q["outcome"], 0), keep, strict=True) if k]
    return Evaluable(ids, days, outs)   # an evaluable participant has its day


@dataclass(frozen=True)
class RuleStatus:
    """Where the rule stands: ``continue``, ``crossed`` (first at ``k``, on ``date``) or
    ``complete`` (n_max evaluable, never crossed)."""

    status: str
    k: int | None              # None for a role blind to arms: with r(k) it gives x(k)
    date: dt.date | None
    evaluable: int | None      # likewise


def _path(s: SafetyRuleSettings, ev: Evaluable) -> tuple[dict[str, list], RuleStatus]:
    r = rule_boundary(s).max_events
    x = np.cumsum(ev.outcomes) if ev.outcomes else np.zeros(0, dtype=np.int64)
    n_eval = len(ev.outcomes)
    rows: list[tuple[Any, ...]] = []
    first: int | None = None
    for k in range(1, max(s.n_max, n_eval) + 1):
        max_events = int(r[k - 1]) if k <= s.n_max else None
        events = int(x[k - 1]) if k <= n_eval else None
        crossed = events is not None and max_events is not None and events > max_events
        if crossed and first is None:
            first = k
        status = ("crossed" if crossed else "ok") if events is not None else None
        rows.append((k, max_events, events, ev.days[k - 1] if k <= n_eval else None, status))
    if first is not None:
        st = RuleStatus("crossed", first, ev.days[first - 1], n_eval)
    else:
        st = RuleStatus("complete" if n_eval >= s.n_max else "continue", None, None, n_eval)
    return {c: [row[i] for row in rows] for i, c in enumerate(PATH_COLUMNS)}, st


def safety_rule_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``safety-rule`` command's rows: k = 1 to the larger of n_max and the evaluable,
    with max_events (r(k); empty beyond n_max), events (x(k); empty beyond the
    evaluable), date (the day the k-th became evaluable) and status.

    Examples
    --------
    >>> t = safety_rule_table(exp, as_of)
    >>> t["k"][:3], t["max_events"][:3]
    ([1, 2, 3], [1, 1, 1])
    """
    path, _ = _path(exp.protocol.safety_rule, evaluable(exp, as_of))
    return output(path)


def safety_oc_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``safety-oc`` command's rows (the data cut plays no part)."""
    return operating_characteristics(exp.protocol.safety_rule)


@dataclass(frozen=True)
class SafetyRule:
    """The rule as a role may see it: settings, boundary, operating characteristics and
    status for every role that sees outcomes; the path (x(k)) only by arm."""

    settings: SafetyRuleSettings
    arm_label: str                     # the arm's name, or "the monitored arm" if blind
    level: float
    boundary: dict[str, list]          # k, max_events for k = 1..n_max
    oc: dict[str, list]
    status: RuleStatus
    path: dict[str, list] | None       # PATH_COLUMNS and participant_id; None: not by arm


def safety_rule(exp: Export, as_of: dt.date, role: Role) -> SafetyRule:
    """The safety stopping rule at the data cut for ``role``.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    >>> r = safety_rule(exp, as_of, exp.protocol.roles["investigator"])
    >>> r.path is None, r.status.status in ("continue", "crossed", "complete")
    (True, True)
    """
    require(role, "outcomes")
    s = exp.protocol.safety_rule
    b = rule_boundary(s)
    ev = evaluable(exp, as_of)
    path, status = _path(s, ev)
    if sees(role, "outcomes_by_arm"):
        path["participant_id"] = ev.ids + [None] * (len(path["k"]) - len(ev.ids))
        shown: dict[str, list] | None = path
        label = exp.protocol.arm_labels[s.arm]
    else:   # the status and the day it was first crossed, nothing counted: not even k,
        shown = None   # which with r(k) would give the events; and no arm named (a role
        status = RuleStatus(status.status, None, status.date, None)   # blind to arms)
        label = "the monitored arm"
    return SafetyRule(s, label, b.level,
                      {"k": list(range(1, s.n_max + 1)),
                       "max_events": [int(v) for v in b.max_events]},
                      operating_characteristics(s), status, shown)
