"""Eligibility: per-patient criteria, why patients fail, near misses, incomplete screenings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.protocol import Role, sees

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


PAGE_ROWS = 500


def detail(exp: Export, as_of: dt.date, page: int = 1, page_size: int | None = None
           ) -> pd.DataFrame:
    """Screened patients (one page of them, by screening_id, when ``page_size`` is given):
    status, failed and unknown criteria, each criterion's result and the computed values.
    ``n_total`` holds the number screened, for paging."""
    limit = page_size if page_size is not None else 2**62
    return with_dates(exp.query("eligibility_page", as_of=as_of,
                                offset=(page - 1) * (page_size or 0), limit=limit))


def criterion_counts(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """How many screened patients fail and are unknown on each criterion (spec order)."""
    df = exp.query("criterion_counts", as_of=as_of)
    df.insert(1, "label", df["criterion"].map(LABELS))
    return df


def _fails(exp: Export, as_of: dt.date) -> np.ndarray:
    f = exp.query("ineligible_failures", as_of=as_of)["fails"]
    return np.array(f.tolist(), dtype=bool).reshape(-1, len(CRITERIA))


def exclusion_steps(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """:func:`sequential_exclusion` at the data cut."""
    screened = int(exp.query("screening_dates", as_of=as_of)["screened"].iloc[0])
    return sequential_exclusion(_fails(exp, as_of), screened)


def sequential_exclusion(fails: np.ndarray, screened: int) -> pd.DataFrame:
    """Greedy exclusion order: each step removes the criterion failing most of those left.

    Parameters
    ----------
    fails : ndarray of bool, shape (ineligible patients, criteria in spec order)
        Which criteria each ineligible patient fails.
    screened : int
        Patients screened (the starting count).

    Returns one row per step with the criterion, patients it removes, and
    patients remaining after it. Criteria that remove nobody are left out;
    ties keep the spec's order.
    """
    crits = list(CRITERIA)
    remaining = np.asarray(fails, dtype=bool).reshape(-1, len(crits))
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
        rows.append((crits[k], LABELS[crits[k]], int(counts[j]), left))
        remaining = remaining[~remaining[:, k]]
    return pd.DataFrame(rows, columns=["criterion", "label", "removed", "remaining"])


def near_misses(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Ineligible only through lab values within the near-miss fraction of a threshold."""
    return with_dates(exp.query("near_misses", as_of=as_of))


def incomplete(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Incomplete screenings with the criteria left unknown and the values missing."""
    inc = with_dates(exp.query("incomplete_screenings", as_of=as_of))
    if inc.empty:
        return inc.assign(missing=pd.Series(dtype=str))
    raw = exp.query("screening_missing", ids=inc["screening_id"].tolist())
    raw = raw.set_index("screening_id")

    def missing(row) -> str:
        need = dict.fromkeys(c for u in row["unknown"].split(";") for c in CRITERIA[u])
        return ", ".join(c for c in need if raw.at[row["screening_id"], c])

    return inc.assign(missing=inc.apply(missing, axis=1)).reset_index(drop=True)


def consort(exp: Export, as_of: dt.date, role: Role) -> dict:
    """Counts of the participant-flow diagram; the arms only for a role that sees allocation.

    Exclusion reasons follow the sequential exclusion order, so each excluded
    patient is counted once, under the first reason that removed them; the
    whole :func:`exclusion_steps` frame is under ``steps`` (so a page that
    shows both computes it once).
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
        arms = exp.query("randomized_by_arm", as_of=as_of)
        out["arms"] = list(zip(arms["arm"], arms["label"], arms["n"].astype(int), strict=True))
    return out


def criteria_table(det: pd.DataFrame) -> pd.DataFrame:
    """The patient table: status, each criterion's result and the computed values."""
    cols = ["screening_id", "screen_date", "status", "failed", "unknown", "target_levels",
            *CRITERIA, "ast_x_uln", "alt_x_uln", "bilirubin_x_uln", "creatinine_x_uln",
            "creatinine_clearance", "lab_age_days"]
    return det[cols]


def criteria_view(det: pd.DataFrame, protocol=None) -> pd.DataFrame:
    """:func:`criteria_table` as a view for ``ui.cached``."""
    return criteria_table(det)
