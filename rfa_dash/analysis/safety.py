"""Safety: adverse events by grade, seriousness and relatedness; deaths; grade 3+.

By arm only for roles with ``outcomes_by_arm``; pooled otherwise. A role that
must not see outcomes gets nothing from here (the page is not in its list, and
these functions refuse).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from rfa_dash.analysis.balance import randomized_by_arm
from rfa_dash.blinding import POOLED, Role, masks_ids, pseudonymize, require, sees
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export

GRADES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Safety:
    """The safety figures for one role."""

    by_grade: pd.DataFrame        # group, grade, events, participants (max grade)
    seriousness: pd.DataFrame     # group, serious, events, participants
    relatedness: pd.DataFrame     # group, related, events, participants
    deaths: pd.DataFrame
    grade3: pd.DataFrame          # participants with a grade >= 3 event
    groups: dict                  # group -> participants randomized (denominator)
    has_ae_table: bool
    # events that began before treatment: valid, but not treatment-emergent, so in no count
    pretreatment: pd.DataFrame = field(default_factory=pd.DataFrame)
    # treatment-emergent events by MedDRA system organ class and term: group, soc, term,
    # participants, events ("" term: the SOC's own line)
    by_soc: pd.DataFrame = field(default_factory=pd.DataFrame)


def _groups(exp: Export, as_of: dt.date, by_arm: bool) -> dict:
    arms = randomized_by_arm(exp, as_of)
    if by_arm:
        return dict(zip(arms["arm"], arms["n"].astype(int), strict=True))
    return {POOLED: int(arms["n"].sum())}


def safety(exp: Export, as_of: dt.date, role: Role) -> Safety:
    """Safety figures at the data cut for ``role`` (by arm only for a closed role).

    Examples
    --------
    Pooled for the open role: participants by worst grade, and events:

    >>> s = safety(exp, as_of, exp.protocol.roles["investigator"])
    >>> print(s.by_grade.to_string(index=False))
    group  grade  events  participants
      all      1      22             6
      all      2       8             5
      all      3       3             3
      all      4       0             0
      all      5       6             6
    """
    require(role, "outcomes")
    by_arm = sees(role, "outcomes_by_arm")
    ae = exp.query("adverse_event_listing", as_of=as_of)
    deaths = with_dates(exp.query("death_listing", as_of=as_of))
    if not by_arm:
        ae = ae.assign(arm=POOLED)
        deaths = deaths.drop(columns="arm")
    groups = _groups(exp, as_of, by_arm)
    ae = ae.rename(columns={"arm": "group"})

    # participants counted once, at their worst grade
    worst = ae.groupby(["group", "participant_id"])["grade"].max().reset_index()
    rows = []
    for g in groups:
        for grade in GRADES:
            rows.append({"group": g, "grade": grade,
                         "events": int(((ae["group"] == g) & (ae["grade"] == grade)).sum()),
                         "participants": int(((worst["group"] == g)
                                              & (worst["grade"] == grade)).sum())})
    by_grade = pd.DataFrame(rows)

    def flag_table(col: str) -> pd.DataFrame:
        out = []
        for g in groups:
            part = ae[ae["group"] == g]
            for value, label in ((True, "yes"), (False, "no"), (None, "not recorded")):
                sel = part[col].isna() if value is None else part[col].eq(value)
                out.append({"group": g, col: label, "events": int(sel.sum()),
                            "participants": int(part.loc[sel, "participant_id"].nunique())})
        return pd.DataFrame(out)

    g3 = ae[ae["grade"] >= 3].sort_values(["participant_id", "onset_date"])
    g3 = with_dates(g3)
    if not by_arm:
        g3 = g3.drop(columns="group")
    pre = with_dates(exp.query("pretreatment_ae_listing", as_of=as_of))
    if not by_arm:
        pre = pre.drop(columns="arm")
    if masks_ids(role):   # pooled listings name no participant (protocol: listing_ids)
        g3, deaths, pre = pseudonymize(g3), pseudonymize(deaths), pseudonymize(pre)
    return Safety(by_grade, flag_table("serious"), flag_table("related"), deaths, g3, groups,
                  exp.files.get("adverse_events") is not None, pre, _by_soc(ae, groups))


NOT_CODED = "Not coded"


def _by_soc(ae: pd.DataFrame, groups: dict) -> pd.DataFrame:
    """Participants and events per system organ class and term, in each group (every
    group on every line, zeros included), SOCs and terms by participants overall."""
    ae = ae.assign(soc=ae["soc"].fillna(NOT_CODED).replace("", NOT_CODED))
    rows = []
    socs = ae.groupby("soc")["participant_id"].nunique().sort_values(ascending=False,
                                                                     kind="stable")
    for soc in socs.index:
        part = ae[ae["soc"] == soc]
        terms = part.groupby("term")["participant_id"].nunique().sort_values(
            ascending=False, kind="stable")
        for term in ["", *terms.index]:
            sel = part if term == "" else part[part["term"] == term]
            for g in groups:
                in_g = sel[sel["group"] == g]
                rows.append({"group": g, "soc": soc, "term": term,
                             "participants": int(in_g["participant_id"].nunique()),
                             "events": len(in_g)})
    return pd.DataFrame(rows, columns=["group", "soc", "term", "participants", "events"])


def serious_events(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Serious adverse events with onset on or before ``as_of``: participant, onset, term,
    grade, related, days from randomization; the arm only for a role that sees outcomes by
    arm."""
    return teae_listing(exp, as_of, role, serious_only=True)


def teae_listing(exp: Export, as_of: dt.date, role: Role, serious_only: bool = False
                 ) -> pd.DataFrame:
    """Treatment-emergent adverse events with onset on or before ``as_of`` (the serious ones
    only with ``serious_only``), in onset order, with the onset as recorded and whether it
    was imputed; the arm only for a role that sees outcomes by arm, participants numbered
    for a role whose pooled listings name no one."""
    require(role, "outcomes")
    ae = with_dates(exp.query("adverse_event_listing", as_of=as_of))
    sae = (ae[ae["serious"].eq(True)] if serious_only else ae).reset_index(drop=True)
    if sees(role, "outcomes_by_arm"):
        return sae
    sae = sae.drop(columns="arm")
    return pseudonymize(sae) if masks_ids(role) else sae
