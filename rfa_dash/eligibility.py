"""Eligibility: per-patient criteria, why patients fail, near misses, incomplete screenings."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rfa_dash.export import Export
from rfa_dash.frames import with_dates

# Criterion ids in the spec's order, with the screening columns each one reads.
CRITERIA: dict[str, tuple[str, ...]] = {
    "age": ("age",),
    "histology": ("histology_confirmed",),
    "spine_levels": ("spine_levels",),
    "pain_or_imaging": ("bone_pain", "sre_imaging_predictors"),
    "labs_recent": ("lab_date",),
    "anc": ("anc",),
    "platelets": ("platelets",),
    "hemoglobin": ("hemoglobin", "transfused_14d"),
    "ast_alt": ("ast", "ast_uln", "alt", "alt_uln", "liver_mets"),
    "bilirubin": ("bilirubin", "bilirubin_uln", "gilbert"),
    "albumin": ("albumin",),
    "renal": ("creatinine", "creatinine_uln", "age", "weight_kg", "sex"),
    "contraception": ("childbearing_potential", "contraception_agreed"),
    "pregnant": ("pregnant_or_breastfeeding",),
    "cord_compression": ("cord_compression_or_radicular_pain",),
    "prior_rt": ("prior_rt_target",),
    "surgical_candidate": ("surgical_candidate",),
    "rfa_ineligible": ("rfa_ineligible_lesion",),
    "physician_excluded": ("physician_excluded",),
}
LABELS = {
    "age": "Age under 18", "histology": "No histologic confirmation",
    "spine_levels": "Levels outside T5-L5 or more than two",
    "pain_or_imaging": "No bone pain nor SRE imaging predictors",
    "labs_recent": "Labs older than 14 days", "anc": "Low ANC", "platelets": "Low platelets",
    "hemoglobin": "Low hemoglobin or recent transfusion", "ast_alt": "AST/ALT too high",
    "bilirubin": "Bilirubin too high", "albumin": "Low albumin", "renal": "Renal function",
    "contraception": "No contraception agreement", "pregnant": "Pregnant or breastfeeding",
    "cord_compression": "Cord compression or radicular pain",
    "prior_rt": "Prior RT to target lesion", "surgical_candidate": "Surgical candidate",
    "rfa_ineligible": "Lesion ineligible for RFA/BA",
    "physician_excluded": "Excluded by physician",
}


def detail(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """One row per screened patient: each criterion's result and the computed values."""
    d = exp.query("eligibility_detail", as_of=as_of)
    st = exp.query("eligibility_status", as_of=as_of)
    return with_dates(st.merge(d, on="screening_id"))


def failures_per_criterion(det: pd.DataFrame) -> pd.DataFrame:
    """How many screened patients fail and are unknown on each criterion (spec order)."""
    rows = [(c, LABELS[c], int((det[c] == "fail").sum()), int((det[c] == "unknown").sum()))
            for c in CRITERIA]
    return pd.DataFrame(rows, columns=["criterion", "label", "failed", "unknown"])


def sequential_exclusion(det: pd.DataFrame) -> pd.DataFrame:
    """Greedy exclusion order: each step removes the criterion failing most of those left.

    Returns one row per step with the criterion, patients it removes, and
    patients remaining after it. Criteria that remove nobody are left out;
    ties keep the spec's order.
    """
    remaining = det[det["status"] == "ineligible"]
    left = len(det)
    rows = []
    crits = list(CRITERIA)
    while len(remaining):
        counts = {c: int((remaining[c] == "fail").sum()) for c in crits}
        best = max(crits, key=lambda c: (counts[c], -crits.index(c)))
        if counts[best] == 0:
            break
        left -= counts[best]
        rows.append((best, LABELS[best], counts[best], left))
        remaining = remaining[remaining[best] != "fail"]
        crits.remove(best)
    return pd.DataFrame(rows, columns=["criterion", "label", "removed", "remaining"])


def near_misses(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Ineligible only through lab values within the near-miss fraction of a threshold."""
    return with_dates(exp.query("near_misses", as_of=as_of))


def incomplete(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Incomplete screenings with the criteria left unknown and the values missing."""
    det = detail(exp, as_of)
    inc = det[det["status"] == "incomplete"][["screening_id", "screen_date", "unknown"]]
    if inc.empty:
        return inc.assign(missing=pd.Series(dtype=str))
    raw = exp.query("screening_missing", ids=inc["screening_id"].tolist())
    raw = raw.set_index("screening_id")

    def missing(row) -> str:
        need = dict.fromkeys(c for u in row["unknown"].split(";") for c in CRITERIA[u])
        return ", ".join(c for c in need if raw.at[row["screening_id"], c])

    return inc.assign(missing=inc.apply(missing, axis=1)).reset_index(drop=True)


def consort(exp: Export, as_of: dt.date, allocation: bool) -> dict:
    """Counts of the participant-flow diagram; arms only when ``allocation`` is allowed.

    Exclusion reasons follow the sequential exclusion order, so each excluded
    patient is counted once, under the first reason that removed them.
    """
    det = detail(exp, as_of)
    funnel = exp.query("enrollment_funnel", as_of=as_of).set_index("stage")["n"]
    seq = sequential_exclusion(det)
    out = {
        "screened": int(funnel["screened"]),
        "ineligible": int((det["status"] == "ineligible").sum()),
        "incomplete": int((det["status"] == "incomplete").sum()),
        "reasons": list(zip(seq["label"], seq["removed"].astype(int), strict=True)),
        "eligible": int(funnel["eligible"]),
        "declined": int(funnel["eligible"] - funnel["consented"]),
        "consented": int(funnel["consented"]),
        "randomized": int(funnel["randomized"]),
    }
    rand_ids = set(exp.query("randomized_screening_ids", as_of=as_of)["screening_id"])
    eligible_consented = det[(det["status"] == "eligible") & det["consented"].fillna(False)]
    out["awaiting"] = int((~eligible_consented["screening_id"].isin(rand_ids)).sum())
    if allocation:
        arms = exp.query("randomized_by_arm", as_of=as_of)
        out["arms"] = list(zip(arms["arm"], arms["label"], arms["n"].astype(int), strict=True))
    return out


def criteria_table(det: pd.DataFrame) -> pd.DataFrame:
    """The patient table: status, each criterion's result and the computed values."""
    cols = ["screening_id", "screen_date", "status", "failed", "unknown", "target_levels",
            *CRITERIA, "ast_x_uln", "alt_x_uln", "bilirubin_x_uln", "creatinine_x_uln",
            "creatinine_clearance", "lab_age_days"]
    return det[cols]


def criterion_counts(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """:func:`failures_per_criterion` at the data cut (a small frame, cheap to cache)."""
    return failures_per_criterion(detail(exp, as_of))


def exclusion_steps(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """:func:`sequential_exclusion` at the data cut."""
    return sequential_exclusion(detail(exp, as_of))
