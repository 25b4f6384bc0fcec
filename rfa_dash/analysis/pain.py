"""Pain: what RFA/BA is given for. Pain response at each visit (International Consensus on
palliative radiotherapy endpoints, Chow et al. 2012), pain and opioid use over time.

Each visit's response is decided in ``sql/results/pain_assessments.sql`` (the spec's
rules, in order); here the assessments are counted per visit month and group (an arm,
or "all" pooled) with the response rate's Clopper-Pearson interval. Pain is an outcome:
a role that must not see outcomes gets nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
from rfa_dash.contract import TABLES
from rfa_dash.ingest.export import Export
from rfa_dash.numpy_columns import floats, output
from rfa_dash.stats.intervals import exact_ci, t_interval_on_scale

if TYPE_CHECKING:   # frames for the pages; the `pain` command makes none
    import pandas as pd

CATEGORIES = ("complete", "partial", "progression", "indeterminate")
# the pain scale's ends, as the contract bounds visits.pain_nrs
_PAIN = TABLES["visits"].column("pain_nrs")
PAIN_MIN, PAIN_MAX = float(_PAIN.lo or 0), float(_PAIN.hi or 10)

COLUMNS = ["arm", "month", "evaluable", "assessed", *CATEGORIES, "pain_only", "response",
           "lower", "upper", "mean_change"]


def assessments(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """One row per randomized participant and visit month: baseline and visit pain and
    OMED, evaluable, assessed, the response and whether it was judged on pain alone; the
    arm (column ``group``) only by arm, else "all".

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.
    """
    require(role, "outcomes")
    a = exp.query("pain_assessments", as_of=as_of).rename(columns={"arm": GROUP})
    if not sees(role, "outcomes_by_arm"):
        a = a.assign(**{GROUP: POOLED})
    return a


def response(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Per group and visit month: evaluable, assessed, each response category, how many
    were judged on pain alone, the response rate (complete + partial among the assessed)
    with its Clopper-Pearson interval, and the mean change in pain from baseline among
    the assessed.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    >>> t = response(exp, as_of, exp.protocol.roles["investigator"])
    >>> list(t["month"]), set(t["group"])
    ([1, 3, 6, 12, 24], {'all'})
    """
    import pandas as pd

    require(role, "outcomes")
    cols = _assessed(exp, as_of, pooled=not sees(role, "outcomes_by_arm"))
    rows = _response_rows(cols, groups(role, exp.protocol.arm_codes), exp.protocol.visit_months)
    return pd.DataFrame(rows, columns=[GROUP, *COLUMNS[1:]])


def _assessed(exp: Export, as_of: dt.date, pooled: bool) -> dict[str, np.ndarray]:
    """The columns of ``pain_assessments`` that :func:`_response_rows` reads, queried without
    pandas: ``group`` is the arm, or "all" for every row when ``pooled``."""
    a = exp.query_columns("pain_assessments", as_of=as_of)
    cols = {c: np.ma.getdata(a[c]) for c in ("visit_month", "evaluable", "assessed",
                                             "pain_only")}
    n = len(cols["visit_month"])
    cols.update(group=np.full(n, POOLED, dtype=object) if pooled else np.ma.getdata(a["arm"]),
                response=np.ma.filled(np.ma.asarray(a["response"]), None),
                change=floats(a["change"]))
    return cols


def _response_rows(a: Mapping[str, np.ndarray], group_list: list[str], visit_months
                   ) -> list[dict[str, Any]]:
    """:func:`response`'s rows from the assessments' columns (``group``, ``visit_month``,
    ``evaluable``, ``assessed``, ``pain_only``, ``response``, ``change``)."""
    rows = []
    for g in group_list:
        for m in visit_months:
            part = (a["group"] == g) & (a["visit_month"] == m)
            done = part & a["assessed"]
            n = int(done.sum())
            answers = a["response"][done]
            counts = {c: int((answers == c).sum()) for c in CATEGORIES}
            k = counts["complete"] + counts["partial"]
            lo, hi = exact_ci(k, n)
            rows.append({GROUP: g, "month": m, "evaluable": int(a["evaluable"][part].sum()),
                         "assessed": n, **counts, "pain_only": int(a["pain_only"][done].sum()),
                         "response": k / n if n else np.nan, "lower": lo, "upper": hi,
                         "mean_change": float(a["change"][done].mean()) if n else np.nan})
    return rows


def pain_table(exp: Export, as_of: dt.date) -> dict[str, list]:
    """The ``pain`` command's rows (arm x visit month) as columns, with the spec's columns
    (made without pandas).

    Examples
    --------
    >>> t = pain_table(exp, as_of)
    >>> t["arm"][:2], t["month"][:2]
    (['rfa_rt', 'rfa_rt'], [1, 3])
    """
    rows = _response_rows(_assessed(exp, as_of, pooled=False), exp.protocol.arm_codes,
                          exp.protocol.visit_months)
    return output({c: [r[GROUP if c == "arm" else c] for r in rows] for c in COLUMNS})


def over_time(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Pain and opioid use by group and visit month (month 0 is baseline): participants with
    a score, mean pain with its 95% t interval (cut at the scale's ends, 0 and 10:
    :func:`rfa_dash.stats.intervals.t_interval_on_scale`), mean change from baseline, and the mean
    and median OMED (mg/day) among those with one.

    The scores are aggregated in ``sql/results/pain_over_time.sql``; here the t interval
    and the rows of groups and months with no score.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.

    Examples
    --------
    >>> t = over_time(exp, as_of, exp.protocol.roles["investigator"])
    >>> list(t["month"]), set(t["group"])
    ([0, 1, 3, 6, 12, 24], {'all'})
    """
    import pandas as pd

    require(role, "outcomes")
    agg = exp.query("pain_over_time", as_of=as_of,
                    pooled=not sees(role, "outcomes_by_arm"))
    found = {(g, int(m)): r for g, m, r in zip(agg["group"], agg["month"],
                                                agg.to_dict("records"), strict=True)}
    rows = []
    for g in groups(role, exp.protocol.arm_codes):
        for m in (0, *exp.protocol.visit_months):
            r = found.get((g, m), {})
            n = int(r.get("n") or 0)
            mean = float(r["mean_pain"]) if n else np.nan
            lower, upper = t_interval_on_scale(
                mean, float(r["sd_pain"]) if n > 1 else np.nan, n, PAIN_MIN, PAIN_MAX)
            n_omed = int(r.get("n_omed") or 0)
            rows.append({GROUP: g, "month": m, "n": n, "mean_pain": mean,
                         "lower": lower, "upper": upper,
                         "mean_change": (float(r["mean_change"]) if m else 0.0)
                         if n else np.nan,
                         "n_omed": n_omed,
                         "mean_omed": float(r["mean_omed"]) if n_omed else np.nan,
                         "median_omed": float(r["median_omed"]) if n_omed else np.nan})
    return pd.DataFrame(rows)


def courses(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Each participant's pain and OMED at baseline (month 0) and every completed visit, in
    their order; participants numbered for an open role that must not see IDs.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.
    """
    long = _scores(assessments(exp, as_of, role)).sort_values(["participant_id", "month"],
                                                               kind="stable")
    long = long[long["pain"].notna()].reset_index(drop=True)
    long = long[["participant_id", GROUP, "month", "pain", "omed", "response"]]
    return pseudonymize(long, drop=()) if masks_ids(role) else long


def _scores(a: pd.DataFrame) -> pd.DataFrame:
    """Every pain score of :func:`assessments`: each participant's baseline (month 0) and
    each completed visit with a score, with OMED, the change from baseline and the
    response (none at baseline)."""
    import pandas as pd

    base = a.drop_duplicates("participant_id")
    done = a[a["visit_date"].notna() & a["pain_nrs"].notna()]
    return pd.concat([
        pd.DataFrame({"participant_id": base["participant_id"], GROUP: base[GROUP],
                      "month": 0, "pain": base["baseline_pain"],
                      "omed": base["baseline_omed"], "change": 0.0, "response": None}),
        pd.DataFrame({"participant_id": done["participant_id"], GROUP: done[GROUP],
                      "month": done["visit_month"], "pain": done["pain_nrs"],
                      "omed": done["omed_mg"], "change": done["pain_nrs"] - done["baseline_pain"],
                      "response": done["response"]})], ignore_index=True)
