"""The main trial's size from the pilot's own pooled data (spec: "Main-trial sample
size"), from the protocol file's ``[main_trial]`` and the data cut.

F, the pooled cumulative incidence of a first SRE at ``horizon_months``, comes from the
same code as the ``sre`` command (:func:`rfa_dash.analysis.sre.pooled_at`). The events
needed follow Schoenfeld's formula for subdistribution hazards (Latouche, Porcher and
Chevret 2004); participants are the events over F, rounded up to whole allocation
blocks; the pilot's funnel and pace give the patients to screen and the centers needed.
Everything is pooled over arms: a role blind to outcomes by arm may see it, a role that
sees no outcomes may not.

References
----------
.. [1] Schoenfeld DA. Sample-size formula for the proportional-hazards regression model.
   Biometrics 1983;39:499-503.
.. [2] Latouche A, Porcher R, Chevret S. Sample size formula for proportional hazards
   modelling of competing risks. Stat Med 2004;23:3263-3274.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

import numpy as np

from rfa_dash.analysis.accrual import accrual_start
from rfa_dash.analysis.sre import pooled_at
from rfa_dash.blinding import Role, require
from rfa_dash.contract import MONTH_DAYS
from rfa_dash.decision_settings import MainTrialSettings
from rfa_dash.ingest.export import Export
from rfa_dash.numpy_columns import dates, output

COLUMNS = ("scenario", "p_event", "events", "participants", "experimental", "control",
           "screened", "sites", "reason")
SCENARIOS = ("estimate", "lower")


def events_needed(s: MainTrialSettings, hr: float | None = None) -> int:
    """d = ceil((z(1 - alpha/2) + z(power))^2 / (q (1 - q) ln(hr)^2)).

    Examples
    --------
    The defaults (hr 0.5, alpha 0.05, power 0.80, 2:1): (1.959964 + 0.841621)^2 /
    (2/9 x 0.480453) = 7.8489 / 0.106767 = 73.5, so 74 events.

    >>> events_needed(MainTrialSettings(0.5, 0.05, 0.80, (2, 1), 12, 36))
    74
    """
    z = NormalDist().inv_cdf
    q = float(s.share)
    h = s.hr if hr is None else hr
    return math.ceil((z(1 - s.alpha / 2) + z(s.power)) ** 2
                     / (q * (1 - q) * math.log(h) ** 2))


def participants(d: int, f: float, block: int) -> int:
    """N = ceil(d / F), rounded up to a whole number of allocation blocks.

    Examples
    --------
    >>> participants(74, 0.23, 3)        # 74 / 0.23 = 321.7 -> 322 -> 324
    324
    """
    n = math.ceil(d / f)
    return -(-n // block) * block


@dataclass(frozen=True)
class Pace:
    """The pilot's funnel and pace at the data cut."""

    screened: int
    randomized: int            # on or before the data cut
    pace_randomized: int       # on or before the day the elapsed time ends
    elapsed_days: int


def pace(exp: Export, as_of: dt.date) -> Pace:
    """Screened and randomized at the data cut; the days from accrual start (as the
    recruitment criterion counts them) to the data cut, or to the randomization that
    reached the target, and the randomized by then."""
    q = exp.query_columns("main_trial_counts", as_of=as_of, target=exp.protocol.target)
    screened, randomized = int(q["screened"][0]), int(q["randomized"][0])
    reached = dates(q["target_reached"])[0]
    end = reached if reached is not None else as_of
    start = accrual_start(exp, as_of)
    days = (end - start).days if start is not None else 0
    by_end = min(randomized, exp.protocol.target) if reached is not None else randomized
    return Pace(screened, randomized, by_end, max(days, 0))


def _row(scenario: str, f: float, s: MainTrialSettings, pc: Pace, reason: str
         ) -> dict[str, object]:
    empty: dict[str, object] = {c: None for c in COLUMNS}
    if reason:
        return empty | {"scenario": scenario, "p_event": f if f > 0 else None,
                        "reason": reason}
    d = events_needed(s)
    n = participants(d, f, s.block)
    experimental = int(n * s.share)
    screened = math.ceil(Fraction(n * pc.screened, pc.randomized))
    sites = (math.ceil(Fraction(n) * Fraction(pc.elapsed_days)
                       / (Fraction(MONTH_DAYS) * pc.pace_randomized * s.accrual_months))
             if pc.elapsed_days > 0 and pc.pace_randomized > 0 else None)
    return {"scenario": scenario, "p_event": f, "events": d, "participants": n,
            "experimental": experimental, "control": n - experimental, "screened": screened,
            "sites": sites, "reason": None}


def _reason(scenario: str, f: float, h: int, randomized: int) -> str:
    if randomized == 0:
        return "nobody randomized yet"
    if math.isnan(f):
        return (f"no estimate of F at {h} months: nobody followed that long"
                if scenario == "estimate" else
                f"the lower end of F's interval at {h} months is empty")
    if f <= 0:
        return (f"F is 0 at {h} months: no SRE yet" if scenario == "estimate" else
                f"the lower end of F's interval at {h} months is 0")
    return ""


def main_trial_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``main-trial`` command's rows: one per scenario (``estimate``: F as estimated;
    ``lower``: F at the lower end of its 95% interval).

    Examples
    --------
    >>> t = main_trial_table(exp, as_of)
    >>> t["scenario"], t["events"], t["participants"]
    (['estimate', 'lower'], [74, 74], [324, 741])
    """
    s = exp.protocol.main_trial
    pc = pace(exp, as_of)
    cif, lower, _ = pooled_at(exp, as_of, s.horizon_months)
    rows = []
    for scenario, f in zip(SCENARIOS, (cif, lower), strict=True):
        rows.append(_row(scenario, f, s, pc, _reason(scenario, f, s.horizon_months,
                                                     pc.randomized)))
    return output({c: [r[c] for r in rows] for c in COLUMNS})


def main_trial(exp: Export, as_of: dt.date, role: Role) -> dict[str, list]:
    """:func:`main_trial_table` for a role that sees outcomes (pooled figures only).

    Raises
    ------
    BlindingError
        For a role that sees no outcomes.
    """
    require(role, "outcomes")
    return main_trial_table(exp, as_of)


HRS = tuple(float(h) for h in np.round(np.arange(0.40, 0.801, 0.05), 2))


def sensitivity(rows: dict[str, list], s: MainTrialSettings, hrs: tuple[float, ...] = HRS
                ) -> dict[str, list]:
    """Participants needed against the hazard ratio to detect (0.40 to 0.80), at each
    scenario's F in ``rows`` (:func:`main_trial_table`'s; F is not computed again):
    columns hr, scenario, participants (None where the scenario is not computable).

    Examples
    --------
    >>> rows = {"scenario": ["estimate"], "p_event": [0.23]}
    >>> sensitivity(rows, exp.protocol.main_trial, (0.5,))["participants"]
    [324]
    """
    out: dict[str, list] = {"hr": [], "scenario": [], "participants": []}
    for scenario, f in zip(rows["scenario"], rows["p_event"], strict=True):
        for hr in hrs:   # a scenario's p_event is empty unless F is above 0
            out["hr"].append(hr)
            out["scenario"].append(scenario)
            out["participants"].append(
                participants(events_needed(s, hr), f, s.block) if f else None)
    return out
