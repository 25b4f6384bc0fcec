"""Eligibility: per-patient criteria, why patients fail, near misses, incomplete screenings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rfa_dash.analysis.balance import allocation_date, randomized_by_arm
from rfa_dash.blinding import Role, sees
from rfa_dash.contract import CRITERION_IDS
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export

PAGE_ROWS = 500


def detail(exp: Export, as_of: dt.date, page: int = 1, page_size: int | None = None
           ) -> pd.DataFrame:
    """Screened patients (one page of them, by screening_id, when ``page_size`` is given):
    status, failed and unknown criteria, each criterion's result (a column per criterion,
    in spec order) and the computed values. ``n_total`` holds the number screened, for
    paging."""
    limit = page_size if page_size is not None else 2**62
    base = exp.query("eligibility_page", as_of=as_of, offset=(page - 1) * (page_size or 0),
                     limit=limit)
    if base.empty:
        results = pd.DataFrame(columns=list(CRITERION_IDS), dtype=object)
    else:
        long = exp.query("criterion_results", as_of=as_of, first=base["screening_id"].iloc[0],
                         last=base["screening_id"].iloc[-1])
        results = long.pivot(index="screening_id", columns="criterion", values="result")
    wide = results.reindex(index=base["screening_id"], columns=list(CRITERION_IDS))
    return with_dates(pd.concat([base.reset_index(drop=True),
                                 wide.reset_index(drop=True)], axis=1))

def criterion_counts(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """How many screened patients fail and are unknown on each criterion (spec order), with
    the protocol's label.

    Examples
    --------
    >>> print(criterion_counts(exp, as_of).head(3).to_string(index=False))
       criterion                                 label  failed  unknown
             age                          Age under 18       0        0
       histology            No histologic confirmation       1        0
    spine_levels Levels outside T5-L5 or more than two       4        0
    """
    return exp.query("criterion_counts", as_of=as_of)

def _fails(exp: Export, as_of: dt.date) -> np.ndarray:
    """Which criteria (columns, in the contract's order) each ineligible patient fails."""
    failed = exp.query("ineligible_failures", as_of=as_of)["failed"]
    column = {c: j for j, c in enumerate(CRITERION_IDS)}
    fails = np.zeros((len(failed), len(CRITERION_IDS)), dtype=bool)
    for i, ids in enumerate(failed):
        fails[i, [column[c] for c in ids]] = True
    return fails


def exclusion_steps(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """:func:`sequential_exclusion` at the data cut.

    Examples
    --------
    >>> print(exclusion_steps(exp, as_of).head(3).to_string(index=False))
             criterion                                label  removed  remaining
             platelets                        Low platelets        5         75
            hemoglobin Low hemoglobin or recent transfusion        5         70
    physician_excluded                Excluded by physician        5         65
    """
    screened = int(exp.query("screening_dates", as_of=as_of)["screened"].iloc[0])
    return sequential_exclusion(_fails(exp, as_of), screened, exp.protocol.criterion_labels)


def sequential_exclusion(fails: np.ndarray, screened: int, labels: dict[str, str]
                         ) -> pd.DataFrame:
    """Greedy exclusion order: each step removes the criterion failing most of those left.

    Parameters
    ----------
    fails : ndarray of bool, shape (ineligible patients, criteria in spec order)
        Which criteria each ineligible patient fails.
    screened : int
        Patients screened (the starting count).
    labels : dict
        The protocol's label of each criterion id.

    Returns one row per step with the criterion, patients it removes, and
    patients remaining after it. Criteria that remove nobody are left out;
    ties keep the spec's order.

    Examples
    --------
    Two ineligible patients of ten: both fail the second criterion, one also the first:

    >>> fails = np.zeros((2, len(CRITERION_IDS)), dtype=bool)
    >>> fails[:, 1] = True; fails[0, 0] = True
    >>> sequential_exclusion(fails, 10, {c: c for c in CRITERION_IDS})[["criterion", "removed",
    ...                                                                  "remaining"]]
       criterion  removed  remaining
    0  histology        2          8
    """
    crits = list(CRITERION_IDS)
    remaining = np.asarray(fails, dtype=bool)
    if remaining.size == 0:
        remaining = remaining.reshape(0, len(crits))
    if remaining.shape[1] != len(crits):
        raise ValueError(f"fails has {remaining.shape[1]} columns; the contract has "
                         f"{len(crits)} criteria")
    active = list(range(len(crits)))
    left = screened
    rows = []
    while len(remaining) and active:
        counts = remaining[:, active].sum(axis=0)
        j = int(np.argmax(counts))  # the first maximum: ties keep the spec's order
        if counts[j] == 0:
            break
        k = active.pop(j)
        left -= int(counts[j])
        rows.append((crits[k], labels[crits[k]], int(counts[j]), left))
        remaining = remaining[~remaining[:, k]]
    return pd.DataFrame(rows, columns=["criterion", "label", "removed", "remaining"])


def near_misses(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Ineligible only through lab values within the near-miss fraction of a threshold."""
    return with_dates(exp.query("near_misses", as_of=as_of))


def incomplete(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Incomplete screenings with the criteria left unknown and the values missing."""
    return with_dates(exp.query("incomplete_screenings", as_of=as_of))

def consort(exp: Export, as_of: dt.date, role: Role) -> dict:
    """Counts of the participant-flow diagram; the arms only for a role that sees allocation.

    Exclusion reasons follow the sequential exclusion order, so each excluded
    patient is counted once, under the first reason that removed them; the
    whole :func:`exclusion_steps` frame is under ``steps`` (so a page that
    shows both computes it once).

    Examples
    --------
    >>> c = consort(exp, as_of, exp.protocol.roles["coordinator"])
    >>> [c[k] for k in ("screened", "eligible", "consented", "randomized")]
    [80, 37, 31, 31]
    """
    funnel = exp.query("enrollment_funnel", as_of=as_of).set_index("stage")["n"]
    seq = exclusion_steps(exp, as_of)
    statuses = exp.query("eligibility_status_counts", as_of=as_of).set_index("status")["n"]
    out = {
        "screened": int(funnel["screened"]),
        "ineligible": int(statuses.get("ineligible", 0)),
        "incomplete": int(statuses.get("incomplete", 0)),
        "reasons": list(zip(seq["label"], seq["removed"].astype(int), strict=True)),
        "eligible": int(funnel["eligible"]),
        "declined": int(funnel["eligible"] - funnel["consented"]),
        "consented": int(funnel["consented"]),
        "randomized": int(funnel["randomized"]),
        "steps": seq,
    }
    out["awaiting"] = int(exp.query("consented_not_randomized", as_of=as_of)["n"].iloc[0])
    if sees(role, "allocation"):
        at = allocation_date(exp, role, as_of)
        arms = randomized_by_arm(exp, at)
        out["arms"] = list(zip(arms["arm"], arms["label"], arms["n"].astype(int), strict=True))
        out["arms_as_of"] = at
    return out


def criteria_table(det: pd.DataFrame) -> pd.DataFrame:
    """The patient table: status, each criterion's result and the computed values."""
    cols = ["screening_id", "screen_date", "status", "failed", "unknown", "target_levels",
            *CRITERION_IDS, "ast_x_uln", "alt_x_uln", "bilirubin_x_uln", "creatinine_x_uln",
            "creatinine_clearance", "lab_age_days"]
    return det[cols]
