"""Protocol deviations at a data cut: by category, and the important ones listed.

Deviations are conduct data: every role that sees outcomes gets them pooled;
split by arm (and each row's arm) only for a role that sees outcomes by arm,
as a deviation's description can name the treatment received. Pooled
listings name no participant when the role's ``listing_ids`` is off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from rfa_dash.blinding import POOLED, Role, groups, masks_ids, pseudonymize, require, sees
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export


@dataclass(frozen=True)
class Deviations:
    """Deviations at the data cut.

    Attributes
    ----------
    by_category : DataFrame
        group, category, deviations, participants, important (one row per group and
        category, then a row "All categories" per group).
    important : DataFrame
        The important deviations: participant_id, deviation_date, category,
        description, and the arm for a closed role.
    total : int
        Deviations counted.
    has_table : bool
        False when the export has no deviations file (nothing was recorded).
    """

    by_category: pd.DataFrame
    important: pd.DataFrame
    total: int
    has_table: bool


def deviations(exp: Export, as_of: dt.date, role: Role) -> Deviations:
    """Deviations by category (per arm for a closed role, else pooled) and the important
    ones listed.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    Pooled for the open role:

    >>> d = deviations(exp, as_of, exp.protocol.roles["investigator"])
    >>> print(d.by_category.to_string(index=False))
    group       category  deviations  participants  important
      all     assessment           1             1          0
      all    eligibility           1             1          1
      all          other           1             1          0
      all   visit_window           3             3          0
      all All categories           6             6          1
    """
    require(role, "outcomes")
    by_arm = sees(role, "outcomes_by_arm")
    group_codes = groups(role, exp.protocol.arm_codes)
    d = with_dates(exp.query("deviation_listing", as_of=as_of))
    d["group"] = d["arm"] if by_arm else POOLED
    rows = []
    for g in group_codes:
        part = d[d["group"] == g]
        for cat in [*sorted(d["category"].unique()), "All categories"]:
            sel = part if cat == "All categories" else part[part["category"] == cat]
            rows.append({"group": g, "category": cat, "deviations": len(sel),
                         "participants": int(sel["participant_id"].nunique()),
                         "important": int(sel["important"].eq(True).sum())})
    imp = d[d["important"].eq(True)][["participant_id", "deviation_date", "category",
                                       "description", *(["arm"] if by_arm else [])]]
    imp = imp.reset_index(drop=True)
    if masks_ids(role):
        imp = pseudonymize(imp)
    return Deviations(pd.DataFrame(rows, columns=["group", "category", "deviations",
                                                  "participants", "important"]),
                      imp, len(d), exp.files.get("deviations") is not None)
