"""One participant's course on one screen: screening, consent, randomization, treatment,
each visit window, SREs, adverse events, deviations and off study.

What a role sees follows the rules its listings follow: every role reads the schedule
and the visits (dates and status) by participant ID; the participant's arm only a role
that sees outcomes by arm; pain and opioid use, SREs, adverse events, deviations and the
reason for leaving the study only a role that sees outcomes and whose listings name
participants (for the open role, its ``listing_ids`` setting).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from rfa_dash.analysis.recurrent import recurrent_data
from rfa_dash.blinding import Role, shows_participant_arm, shows_participant_outcomes
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export


@dataclass(frozen=True)
class Profile:
    """One participant at a data cut, as one role may see them.

    Attributes
    ----------
    summary : dict
        Participant and screening IDs, dates, and (when the role may) arm, baseline
        pain and opioid use, and the off-study reason.
    criteria : DataFrame
        Each eligibility criterion with its label, result and the values it read.
    visits : DataFrame
        Each protocol visit: target, window, date, status (and pain, OMED).
    sres, adverse_events, deviations : DataFrame or None
        None for a role that does not see them.
    timeline : DataFrame
        lane, date, kind, label (and window_open, window_close for visit windows).
    """

    summary: dict
    criteria: pd.DataFrame
    visits: pd.DataFrame
    sres: pd.DataFrame | None
    adverse_events: pd.DataFrame | None
    deviations: pd.DataFrame | None
    timeline: pd.DataFrame


def participant_ids(exp: Export, as_of: dt.date) -> list[str]:
    """Every participant randomized on or before ``as_of``, in ID order."""
    return exp.query("recurrent_follow_up", as_of=as_of)["participant_id"].tolist()


def _value(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return "missing"
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date().isoformat()
    return str(v)


def profile(exp: Export, as_of: dt.date, role: Role, participant_id: str) -> Profile | None:
    """The course of ``participant_id`` for ``role``, or None when no such participant is
    randomized on or before ``as_of``.

    Examples
    --------
    >>> p = profile(exp, as_of, exp.protocol.roles["coordinator"], "008")
    >>> "arm" in p.summary, p.sres is None, list(p.visits.columns)[:3]
    (False, True, ['visit_month', 'target_date', 'window_open'])
    >>> p = profile(exp, as_of, exp.protocol.roles["dsmb"], "008")
    >>> p.summary["arm"], p.sres["counted"].tolist()
    ('rt_alone', [True, False, False])
    """
    row = exp.query("participant", as_of=as_of, pid=participant_id)
    if row.empty:
        return None
    r = row.iloc[0]
    outcomes = shows_participant_outcomes(role)
    summary = {"participant_id": r["participant_id"], "screening_id": r["screening_id"],
               "screen_date": r["screen_date"], "consent_date": r["consent_date"],
               "randomization_date": r["randomization_date"],
               "treatment_date": r["treatment_date"],
               "received_allocated": r["received_allocated"],
               "off_study_date": r["off_study_date"]}
    if shows_participant_arm(role):
        summary["arm"] = r["arm"]
    if outcomes:
        summary |= {"baseline_pain": r["baseline_pain"], "baseline_omed": r["baseline_omed"],
                    "off_study_reason": r["off_study_reason"]}
    crit = exp.query("participant_criteria", as_of=as_of, sid=r["screening_id"])
    record = exp.query("screening_record", sid=r["screening_id"]).iloc[0]
    crit["values"] = ["; ".join(f"{c} {_value(record[c])}" for c in cols)
                      for cols in crit["columns"]]
    crit = crit.drop(columns=["columns", "lab"])
    visits = with_dates(exp.query("participant_visits", as_of=as_of, pid=participant_id))
    if not outcomes:
        visits = visits.drop(columns=["pain_nrs", "omed_mg"])
    sres = aes = devs = None
    if outcomes:
        rec = recurrent_data(exp, as_of).records
        sres = with_dates(rec[rec["participant_id"] == participant_id].drop(
            columns=["participant_id", "arm"]).reset_index(drop=True))
        aes = with_dates(exp.query("participant_adverse_events", as_of=as_of,
                                   pid=participant_id))
        dv = exp.query("deviation_listing", as_of=as_of)
        devs = with_dates(dv[dv["participant_id"] == participant_id].drop(
            columns=["participant_id", "arm"]).reset_index(drop=True))
    return Profile(summary, crit, visits, sres, aes, devs,
                   _timeline(summary, visits, sres, aes, devs, as_of))


def _timeline(s: dict, visits: pd.DataFrame, sres, aes, devs, as_of: dt.date
              ) -> pd.DataFrame:
    """The course to its end: the data cut, or the off-study date when earlier (a visit
    window that opens later is not part of it)."""
    rows: list[dict] = []
    end = pd.Timestamp(as_of)
    if s["off_study_date"] is not None and not pd.isna(s["off_study_date"]):
        end = min(end, pd.Timestamp(s["off_study_date"]))

    def add(lane: str, date: object, kind: str, label: str) -> None:
        if date is not None and not pd.isna(date):
            rows.append({"lane": lane, "date": pd.Timestamp(date), "kind": kind,
                         "label": label})

    add("Screening", s["screen_date"], "screening", "screened")
    add("Screening", s["consent_date"], "consent", "consented")
    add("Study", s["randomization_date"], "randomization", "randomized")
    add("Study", s["treatment_date"], "treatment", "treated")
    reason = s.get("off_study_reason")   # only for a role that reads outcomes
    if reason == "death":
        add("Study", s["off_study_date"], "death", "died (off study)")
    else:
        add("Study", s["off_study_date"], "off_study",
            f"off study ({str(reason).replace('_', ' ')})" if reason else "off study")
    for v in visits.itertuples():
        if not pd.isna(v.window_open) and pd.Timestamp(v.window_open) <= end:
            rows.append({"lane": "Visits", "date": pd.Timestamp(v.target_date),
                         "kind": "window", "label": f"month {v.visit_month} window",
                         "window_open": pd.Timestamp(v.window_open),
                         "window_close": min(pd.Timestamp(v.window_close), end)})
        raw = getattr(v, "pain_nrs", None)
        pain = None if raw is None or pd.isna(raw) else int(raw)
        extra = f", pain {pain}" if pain is not None else ""
        if not pd.isna(v.visit_date):
            add("Visits", v.visit_date, "missed" if v.status == "missed" else "visit",
                f"month {v.visit_month}: {v.status.replace('_', ' ')}{extra}")
            if pain is not None and v.status != "missed":
                rows[-1]["pain"] = pain
        elif v.status in ("missed", "overdue"):   # no date: marked where the window closed
            add("Visits", v.window_close, "missed", f"month {v.visit_month}: {v.status}")
    for e in [] if sres is None else sres.itertuples():
        add("SREs", e.event_date, "sre" if e.counted else "sre_not_counted",
            e.sre_type.replace("_", " ") + ("" if e.counted else f" (not counted: "
                                             f"{e.not_counted})"))
    for a in [] if aes is None else aes.itertuples():
        add("Adverse events", a.onset_date, "ae", f"{a.term}, grade {a.grade}"
            + (" (fatal)" if str(a.grade) == "5" else "") + (", serious" if a.serious else ""))
    for d in [] if devs is None else devs.itertuples():
        add("Deviations", d.deviation_date, "deviation", str(d.category))
    return pd.DataFrame(rows, columns=["lane", "date", "kind", "label", "window_open",
                                       "window_close", "pain"])
