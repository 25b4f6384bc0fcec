"""Arm balance: allocation against the protocol ratio, baseline by arm with SMDs.

Shown only to roles that may see allocation (see the protocol's roles).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rfa_dash.blinding import (
    POOLED,
    Role,
    allocation_as_of,
    allocation_at_any_date,
    allocation_moves,
    require,
    sees,
)
from rfa_dash.frames import in_arm_order
from rfa_dash.ingest.export import Export
from rfa_dash.months import last_month_end
from rfa_dash.stats.smd import smd_categorical, smd_continuous

MAX_POINTS = 2000
CONTINUOUS = {"age": "Age, years", "sins": "SINS (0-18)", "pain_nrs": "Baseline pain (NRS 0-10)"}
CATEGORICAL = {"sex": "Sex", "primary_tumor": "Primary tumor", "ecog": "ECOG",
               "lesion_type": "Lesion type", "n_levels": "Treated levels"}


@dataclass(frozen=True)
class Allocation:
    """Observed allocation against the expected ratio with an exact binomial test.

    The test compares the first arm's count with its expected share of all
    randomized (two-sided, scipy's binomtest).
    """

    counts: pd.DataFrame          # arm, label, n, observed share, expected share
    p_value: float | None
    cumulative: pd.DataFrame      # k (randomization order), date, arm, cumulative n, expected
    as_of: dt.date                # the counts' date: the data cut, or the last month end


def allocation_date(exp: Export, role: Role, as_of: dt.date) -> dt.date:
    """The date of the allocation counts ``role`` sees at the data cut ``as_of``
    (:func:`rfa_dash.blinding.allocation_as_of`, from the pooled randomization dates)."""
    if allocation_at_any_date(role):
        return as_of
    daily = exp.query("randomizations_by_day", as_of=as_of)
    days = [d for d, n in zip(pd.to_datetime(daily["date"]).dt.date, daily["n"], strict=True)
            for _ in range(int(n))]
    return allocation_as_of(role, as_of, days)


def randomized_by_arm(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Participants randomized on or before ``as_of`` per arm (arm, label, ratio, n,
    expected_share), in the order of ``exp.protocol``'s arms: the database keeps the
    protocol file's order, a masked report's protocol has its arms in group order. Callers
    ask the blinding guard first.

    Examples
    --------
    >>> print(randomized_by_arm(exp, as_of)[["arm", "ratio", "n"]].to_string(index=False))
         arm  ratio  n
      rfa_rt      2 21
    rt_alone      1 10
    """
    return in_arm_order(exp.query("randomized_by_arm", as_of=as_of), exp.protocol.arm_codes)


def allocation(exp: Export, as_of: dt.date, role: Role) -> Allocation:
    """Observed vs expected allocation and its cumulative course over randomizations.

    For a role that sees allocation counts but not outcomes by arm the course
    is given only at month ends, so the arm of an individual randomization
    cannot be read off the chart; a role that sees outcomes by arm gets it per
    randomization.

    Raises
    ------
    BlindingError
        For a role that must not see allocation.
    """
    require(role, "allocation")
    per_participant = sees(role, "outcomes_by_arm")
    as_of = allocation_date(exp, role, as_of)
    by_arm = randomized_by_arm(exp, as_of)
    total = int(by_arm["n"].sum())
    by_arm["observed_share"] = by_arm["n"] / total if total else np.nan
    p_value = None
    if total:
        first = by_arm.iloc[0]
        p_value = float(stats.binomtest(int(first["n"]), total, float(first["expected_share"])
                                        ).pvalue)
    r = exp.query("randomizations", as_of=as_of)
    k = np.arange(1, len(r) + 1)
    if per_participant:
        # at most ~2,000 points per line: a chart cannot show more, and the page stays light
        keep = np.unique(np.linspace(0, len(r) - 1, min(len(r), MAX_POINTS)).astype(int))
    else:  # the last randomization before each month end at which the counts moved
        on = pd.to_datetime(r["randomization_date"]).dt.date.to_numpy()
        moves = allocation_moves(role, as_of, list(on)) if not allocation_at_any_date(role) \
            else sorted({last_month_end(d) for d in on} | {as_of})
        keep = np.unique(np.searchsorted(on, np.array(moves, dtype=object), side="right") - 1)
        keep = keep[keep >= 0]
    rows = []
    for a in by_arm.itertuples():
        rows.append(pd.DataFrame({
            "k": k[keep], "date": pd.to_datetime(r["randomization_date"]).dt.date.to_numpy()[keep],
            "arm": a.arm, "cumulative": (r["arm"] == a.arm).cumsum().to_numpy()[keep],
            "expected": k[keep] * a.expected_share}))
    cum = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["k", "date", "arm", "cumulative", "expected"])
    return Allocation(by_arm, p_value, cum, as_of)


def _baseline_groups(exp: Export, as_of: dt.date, role: Role, pooled: bool
                     ) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """The baseline rows, the group codes and their labels: every randomized participant
    as one group when ``pooled`` (tells no arm), else the arms for a role that sees
    allocation, at its allocation date."""
    if pooled:
        df = exp.query("baseline", as_of=as_of).assign(arm=POOLED)
        return df, [POOLED], {POOLED: "All participants"}
    require(role, "allocation")
    df = exp.query("baseline", as_of=allocation_date(exp, role, as_of))
    return df, exp.protocol.arm_codes, exp.protocol.arm_labels


def baseline_table(exp: Export, as_of: dt.date, role: Role, pooled: bool = False
                   ) -> pd.DataFrame:
    """Baseline by arm: mean (SD) or n (%) per arm and the standardized mean difference.

    The SMD compares the first two arms of the protocol (continuous: mean
    difference over the pooled SD; categorical: Yang and Dalton's multi-level
    SMD on the row of the variable), as text with two decimals. |SMD| > 0.1 is
    commonly read as imbalance. For a role that sees allocation only, unless
    ``pooled``: then one column of all randomized participants and no SMD,
    which tells no arm (the open report's table).
    """
    df, arms, labels = _baseline_groups(exp, as_of, role, pooled)
    groups = {a: df[df["arm"] == a] for a in arms}
    a1, a2 = arms[0], arms[1] if len(arms) > 1 else arms[0]
    rows = []
    for var, label in CONTINUOUS.items():
        row: dict[str, object] = {"Characteristic": label + ", mean (SD)"}
        for a in arms:
            x = groups[a][var].dropna().astype(float)
            text = (f"{x.mean():.1f} ({x.std(ddof=1):.1f})" if len(x) > 1
                    else (f"{x.mean():.1f}" if len(x) else "-"))
            row[labels[a]] = text + (f"  [n={len(x)}]" if len(x) != len(groups[a]) else "")
        row["SMD"] = smd_continuous(groups[a1][var], groups[a2][var])
        rows.append(row)
    for var, label in CATEGORICAL.items():
        levels = sorted(df[var].dropna().unique().tolist(), key=str)
        rows.append({"Characteristic": label + ", n (%)",
                     **{labels[a]: "" for a in arms},
                     "SMD": smd_categorical(groups[a1][var], groups[a2][var], levels)})
        for v in levels + ([None] if df[var].isna().any() else []):
            row = {"Characteristic": f"    {'missing' if v is None else v}"}
            for a in arms:
                g = groups[a][var]
                n = int(g.isna().sum()) if v is None else int((g == v).sum())
                row[labels[a]] = f"{n} ({n / len(g):.0%})" if len(g) else "0"
            row["SMD"] = float("nan")
            rows.append(row)
    head = {"Characteristic": "Participants, n", **{labels[a]: str(len(groups[a])) for a in arms},
            "SMD": float("nan")}
    out = pd.DataFrame([head, *rows])
    out["SMD"] = [("" if x != x else f"{x:.2f}") for x in out["SMD"]]
    return out.drop(columns="SMD") if pooled else out


def received_as_allocated(exp: Export, as_of: dt.date, role: Role, pooled: bool = False
                          ) -> pd.DataFrame:
    """Per arm: received the allocated treatment yes / no / not recorded (for a role that
    sees allocation); ``pooled``: one row of all randomized participants.

    Examples
    --------
    >>> t = received_as_allocated(exp, as_of, exp.protocol.roles["dsmb"])
    >>> print(t.to_string(index=False))
            Arm  Randomized  Received allocated  Did not  Not recorded
    RFA/BA + RT          21                  19        1             1
       RT alone          10                  10        0             0
    """
    df, codes, labels = _baseline_groups(exp, as_of, role, pooled)
    rows = []
    for a in codes:
        g = df[df["arm"] == a]["received_allocated"]
        rows.append({"Arm": labels[a], "Randomized": len(g),
                     "Received allocated": int(g.eq(True).sum()),
                     "Did not": int(g.eq(False).sum()), "Not recorded": int(g.isna().sum())})
    return pd.DataFrame(rows)
