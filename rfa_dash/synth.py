"""Deterministic synthetic exports (``python -m rfa_dash synth``).

The generator writes an export in the contract format whose shape resembles
the reference trial mid-way: screen failures for varied criteria (some near
misses and incomplete screenings), 2:1 permuted-block allocation, visits with
some missed, late, early and overdue, SREs of several types more often in the
RT-alone arm, deaths, a withdrawal, a loss to follow-up and adverse events.
Same seed and arguments, same bytes. Every value is invented.

Every draw is made for a whole column at once (NumPy arrays of values and of
``datetime64[D]`` dates, NaN/NaT for missing), so 100,000 participants take
seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from rfa_dash.contract import MONTH_DAYS, TABLE_ORDER, TABLES
from rfa_dash.protocol import Protocol, load_protocol

DEFAULT_START = dt.date(2025, 3, 3)
DEFAULT_EXPORTED_AT = dt.date(2026, 11, 16)
# Screened patients per randomized participant (about 80 screened for 30).
SCREENED_PER_PARTICIPANT = 2.65

TUMORS = (("breast", .25), ("lung", .25), ("prostate", .15), ("renal", .10),
          ("myeloma", .10), ("other", .15))
SRE_MIX = (("pain_instability", .33), ("pathologic_fracture", .25), ("repeat_rt", .14),
           ("cord_compression", .08), ("nerve_root_compression", .08), ("surgery", .06),
           ("repeat_rfa_ba", .06))
# 12-month probability of a first SRE in the absence of death, by arm position
# (first arm = the intervention). Invented, to give the curves a visible gap.
SRE_12M = (0.15, 0.40)
DEATH_MEDIAN_MONTHS = 18.0

AE_TERMS = (  # term, related to the procedure, weight
    ("Procedural pain", True, 5), ("Back pain", False, 4), ("Fatigue", False, 4),
    ("Nausea", False, 3), ("Radiation dermatitis", False, 2), ("Cement leakage", True, 2),
    ("Hypotension", True, 1), ("Anemia", False, 2), ("Nerve injury", True, 1),
    ("Wound infection", True, 1),
)
# MedDRA system organ class of each term (and of the death term synth writes)
AE_SOC = {
    "Procedural pain": "Injury, poisoning and procedural complications",
    "Back pain": "Musculoskeletal and connective tissue disorders",
    "Fatigue": "General disorders and administration site conditions",
    "Nausea": "Gastrointestinal disorders",
    "Radiation dermatitis": "Skin and subcutaneous tissue disorders",
    "Cement leakage": "Injury, poisoning and procedural complications",
    "Hypotension": "Vascular disorders", "Anemia": "Blood and lymphatic system disorders",
    "Nerve injury": "Nervous system disorders", "Wound infection": "Infections and infestations",
    "Death - disease progression": "General disorders and administration site conditions",
}
# Criteria failed by screen failures, with weights (most common first).
FAIL_MIX = (
    ("cord_compression", 14), ("rfa_ineligible", 12), ("spine_levels", 10),
    ("surgical_candidate", 10), ("prior_rt", 8), ("hemoglobin", 8), ("physician_excluded", 6),
    ("albumin", 6), ("platelets", 5), ("labs_recent", 5), ("anc", 4), ("renal", 4),
    ("pain_or_imaging", 4), ("ast_alt", 3), ("bilirubin", 3), ("histology", 3),
    ("contraception", 2), ("age", 1), ("pregnant", 1),
)
# Criteria on a lab value, the only ones a near miss can be about.
LAB_CRITERIA = ("anc", "platelets", "hemoglobin", "albumin", "ast_alt", "bilirubin")
# Flags set to true to fail a criterion.
FLAG_CRITERIA = {"cord_compression": "cord_compression_or_radicular_pain",
                 "prior_rt": "prior_rt_target", "surgical_candidate": "surgical_candidate",
                 "rfa_ineligible": "rfa_ineligible_lesion",
                 "physician_excluded": "physician_excluded"}
# Equal within this of an exact decimal threshold (values carry at most 2 decimals).
EPS = 1e-9
DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D")


def add_months(d: np.ndarray, months: int) -> np.ndarray:
    """Calendar months later; a day missing in the target month becomes its last day.

    ``d`` is a ``datetime64[D]`` array (NaT stays NaT).
    """
    ym = d.astype("datetime64[M]")
    day = (d - ym.astype("datetime64[D]")).astype(np.int64)
    first = (ym + months).astype("datetime64[D]")
    length = ((ym + months + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(day, length - 1) * DAY


def _choice(rng, options, size: int) -> np.ndarray:
    names = np.array([o[0] for o in options], dtype=object)
    w = np.array([o[-1] for o in options], dtype=float)
    return names[rng.choice(len(names), size=size, p=w / w.sum())]


def _days(rng, lo: int, hi: int, size: int) -> np.ndarray:
    """Whole days drawn uniformly from ``lo`` to ``hi - 1``."""
    return rng.integers(lo, hi, size) * DAY


def _earlier(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise earlier of two date arrays, NaT meaning 'no limit'."""
    return np.where(np.isnat(b) | (a <= b), a, b)


def _screening(rng, proto: Protocol, n: int, start: dt.date, span: int) -> dict:
    """Screening columns: passing values, then perturbed to fail or go missing."""
    e = proto.eligibility
    levels = np.array(e["allowed_levels"], dtype=object)
    sdate = np.datetime64(start, "D") + np.sort(rng.integers(0, span, n)) * DAY
    age = np.clip(np.round(rng.normal(64, 10, n)), 19, 92)
    female = rng.random(n) < 0.48
    k = rng.integers(0, len(levels) - 1, n)
    bone_pain = rng.random(n) < 0.85
    s = {
        "screen_date": sdate, "age": age, "female": female,
        "weight_kg": np.round(rng.normal(np.where(female, 64, 74), 11), 1),
        "spine_levels": np.where(rng.random(n) < 0.7, levels[k], levels[k] + ";" + levels[k + 1]),
        "histology_confirmed": np.ones(n), "bone_pain": bone_pain.astype(float),
        "sre_imaging_predictors": ((rng.random(n) < 0.6) | ~bone_pain).astype(float),
        "lab_date": sdate - _days(rng, 0, 11, n),
        "anc": np.round(rng.uniform(2.0, 7.5, n), 1),
        "platelets": np.floor(rng.uniform(120, 380, n)),
        "hemoglobin": np.round(rng.uniform(10.6, 14.8, n), 1),
        "transfused_14d": np.zeros(n),
        "ast": np.floor(rng.uniform(14, 60, n)), "ast_uln": np.full(n, 40.0),
        "alt": np.floor(rng.uniform(10, 70, n)), "alt_uln": np.full(n, 56.0),
        "liver_mets": (rng.random(n) < 0.15).astype(float),
        "bilirubin": np.round(rng.uniform(0.3, 1.2, n), 1), "bilirubin_uln": np.full(n, 1.2),
        "gilbert": (rng.random(n) < 0.03).astype(float),
        "albumin": np.floor(rng.uniform(31, 46, n)),
        "creatinine": np.round(rng.uniform(0.6, 1.3, n), 2), "creatinine_uln": np.full(n, 1.3),
        "pregnant_or_breastfeeding": np.zeros(n),
        **{flag: np.zeros(n) for flag in FLAG_CRITERIA.values()},
    }
    cbp = female & (age < 50) & (rng.random(n) < 0.6)
    s["childbearing_potential"] = cbp.astype(float)
    s["contraception_agreed"] = np.where(cbp, 1.0, np.nan)
    u = rng.random(n)
    failing = np.flatnonzero(u < 0.47)
    crit = _choice(rng, FAIL_MIX, len(failing))
    near = (rng.random(len(failing)) < 0.15) & np.isin(crit, LAB_CRITERIA)
    second = rng.random(len(failing)) < 0.12
    crit2 = _choice(rng, FAIL_MIX, len(failing))
    for name, _w in FAIL_MIX:
        sel = crit == name
        _fail(rng, s, failing[sel], name, near[sel], e)
    for name, _w in FAIL_MIX:  # sometimes a second criterion fails too
        sel = second & (crit2 == name)
        _fail(rng, s, failing[sel], name, np.zeros(sel.sum(), bool), e)
    # incomplete screenings: a needed value is missing
    gaps = np.flatnonzero((u >= 0.47) & (u < 0.52))
    gap = rng.integers(0, 4, len(gaps))
    for j, col in enumerate(("albumin", "lab_date", "liver_mets", "hemoglobin")):
        rows = gaps[gap == j]
        s[col][rows] = NAT if col == "lab_date" else np.nan
        if col == "liver_mets":
            s["ast"][rows] = s["ast_uln"][rows] * 4  # decides between 3x and 5x ULN
    if n > 5:
        # one patient exactly at the bilirubin limit: 1.8 mg/dL = 1.5 x ULN 1.2 passes
        s["bilirubin"][n // 2], s["bilirubin_uln"][n // 2], s["gilbert"][n // 2] = 1.8, 1.2, 0
    return s


def _fail(rng, s: dict, rows: np.ndarray, criterion: str, near: np.ndarray, e: dict) -> None:
    """Change ``rows`` of ``s`` so that they fail ``criterion`` (near the threshold if ``near``)."""
    m = len(rows)
    if m == 0:
        return

    def below(th, lo):  # values under a lower threshold
        frac = np.where(near, rng.uniform(0.01, 0.09, m), rng.uniform(lo, 0.6, m))
        return np.round(float(th) * (1 - frac), 1)

    if criterion in FLAG_CRITERIA:
        s[FLAG_CRITERIA[criterion]][rows] = 1
    elif criterion == "age":
        s["age"][rows] = int(e["min_age"]) - 1
    elif criterion == "histology":
        s["histology_confirmed"][rows] = 0
    elif criterion == "spine_levels":
        s["spine_levels"][rows] = np.where(rng.random(m) < 0.4, "T3;T4", np.where(
            rng.random(m) < 0.5, "S1", "T8;T9;T10"))
    elif criterion == "pain_or_imaging":
        s["bone_pain"][rows] = 0
        s["sre_imaging_predictors"][rows] = 0
    elif criterion == "labs_recent":
        s["lab_date"][rows] = s["screen_date"][rows] - _days(rng, 16, 40, m)
    elif criterion == "anc":
        s["anc"][rows] = below(e["anc_min"], 0.2)
    elif criterion == "platelets":
        s["platelets"][rows] = np.trunc(below(e["platelets_min"], 0.15))
    elif criterion == "hemoglobin":
        transfused = (rng.random(m) < 0.3) & ~near
        s["transfused_14d"][rows[transfused]] = 1
        s["hemoglobin"][rows[~transfused]] = below(e["hemoglobin_min"], 0.12)[~transfused]
    elif criterion == "ast_alt":
        s["liver_mets"][rows] = 0
        s["ast"][rows] = np.trunc(s["ast_uln"][rows] * float(e["ast_alt_max_uln"])
                                  * np.where(near, 1.05, 1.8))
    elif criterion == "bilirubin":
        s["gilbert"][rows] = 0
        s["bilirubin"][rows] = np.round(1.2 * float(e["bilirubin_max_uln"])
                                        * np.where(near, 1.05, 1.6), 1)
    elif criterion == "albumin":
        s["albumin"][rows] = np.trunc(below(e["albumin_min"], 0.1))
    elif criterion == "renal":
        s["creatinine"][rows] = 2.4
        s["age"][rows] = np.maximum(s["age"][rows], 75)
        s["weight_kg"][rows] = 55.0
    elif criterion in ("contraception", "pregnant"):
        s["female"][rows] = True
        s["age"][rows] = np.minimum(s["age"][rows], 42 if criterion == "contraception" else 38)
        s["childbearing_potential"][rows] = 1
        s["contraception_agreed"][rows] = 0 if criterion == "contraception" else 1
        if criterion == "pregnant":
            s["pregnant_or_breastfeeding"][rows] = 1


def _eligible(s: dict, e: dict) -> np.ndarray:
    """Which generated rows are eligible (the generator's own view, for consent)."""
    f = {k: float(v) for k, v in e.items() if k not in ("allowed_levels",)}
    allowed = set(e["allowed_levels"])
    levels_ok = np.array([len(v.split(";")) <= e["max_levels"] and
                          all(x in allowed for x in v.split(";")) for v in s["spine_levels"]])
    complete = ~(np.isnan(s["albumin"]) | np.isnat(s["lab_date"]) | np.isnan(s["liver_mets"])
                 | np.isnan(s["hemoglobin"]))
    lab_age = (s["screen_date"] - s["lab_date"]).astype("timedelta64[D]").astype(np.int64)
    k = np.where(s["liver_mets"] == 1, f["ast_alt_max_uln_liver_mets"], f["ast_alt_max_uln"])
    bil, uln = s["bilirubin"], s["bilirubin_uln"]
    bil_ok = np.where(s["gilbert"] == 1, bil < f["bilirubin_below_uln_gilbert"] * uln - EPS,
                      bil <= f["bilirubin_max_uln"] * uln + EPS)
    cr = s["creatinine"]
    cg = (140 - s["age"]) * s["weight_kg"] * np.where(s["female"], 0.85, 1.0)
    renal = (cr <= f["creatinine_max_uln"] * s["creatinine_uln"] + EPS) | \
        (cg >= f["creatinine_clearance_min"] * 72 * cr - EPS)
    with np.errstate(invalid="ignore"):
        return (complete & levels_ok & (s["age"] >= f["min_age"])
                & (s["histology_confirmed"] == 1)
                & ((s["bone_pain"] == 1) | (s["sre_imaging_predictors"] == 1))
                & (lab_age >= 0) & (lab_age <= f["labs_max_age_days"])
                & (s["anc"] >= f["anc_min"] - EPS) & (s["platelets"] >= f["platelets_min"] - EPS)
                & (s["hemoglobin"] >= f["hemoglobin_min"] - EPS) & (s["transfused_14d"] == 0)
                & (s["ast"] <= k * s["ast_uln"] + EPS) & (s["alt"] <= k * s["alt_uln"] + EPS)
                & bil_ok & (s["albumin"] >= f["albumin_min"] - EPS) & renal
                & ((s["childbearing_potential"] == 0) | (s["contraception_agreed"] == 1))
                & (s["pregnant_or_breastfeeding"] == 0)
                & np.all([s[c] == 0 for c in FLAG_CRITERIA.values()], axis=0))


def _allocate(rng, proto: Protocol, n: int) -> np.ndarray:
    """Arms by permuted blocks of one or two ratio multiples (3 or 6 at 2:1)."""
    block = np.array([a.code for a in proto.arms for _ in range(a.ratio)], dtype=object)
    parts, total = [], 0
    while total < n:
        b = np.concatenate([block, block]) if rng.random() < 0.5 else block
        parts.append(rng.permutation(b))
        total += len(b)
    return np.concatenate(parts)[:n] if parts else np.array([], dtype=object)


def generate(protocol: Protocol, patients: int, seed: int,
             start: dt.date = DEFAULT_START,
             exported_at: dt.date = DEFAULT_EXPORTED_AT) -> dict[str, pd.DataFrame]:
    """Generate the tables of a synthetic export.

    Parameters
    ----------
    protocol : Protocol
        Arms, ratio, visit months and windows, eligibility thresholds.
    patients : int
        About how many participants are randomized (screening is about 2.65
        times that).
    seed : int
        Random seed; the same seed gives the same tables.

    Returns
    -------
    dict
        Table name to a frame of text cells in the contract's format, in file
        order ('' for missing).
    """
    rng = np.random.default_rng(seed)
    n_screen = max(3, round(patients * SCREENED_PER_PARTICIPANT))
    cut = np.datetime64(exported_at, "D")
    s = _screening(rng, protocol, n_screen, start, (exported_at - start).days - 10)
    # consent and randomization for eligible patients
    elig = np.flatnonzero(_eligible(s, protocol.eligibility))
    m = len(elig)
    consents = rng.random(m) < 0.86
    cdate = s["screen_date"][elig] + _days(rng, 0, 8, m)
    rdate = cdate + _days(rng, 1, 11, m)
    randomized = consents & (rdate <= cut - 2 * DAY) & (rng.random(m) < 0.97)
    s["consented"] = np.zeros(n_screen)
    s["consented"][elig[consents]] = 1
    s["consent_date"] = np.full(n_screen, NAT)
    s["consent_date"][elig[consents]] = cdate[consents]
    # participants in order of randomization date, then screening order
    order = np.lexsort((elig[randomized], rdate[randomized]))
    p = {"screen_row": elig[randomized][order], "rdate": rdate[randomized][order]}
    p["arm"] = _allocate(rng, protocol, len(order))
    n = len(order)
    width = max(4, len(str(n_screen)))
    sids = np.array([f"SCR-{i + 1:0{width}d}" for i in range(n_screen)], dtype=object)
    pids = np.array([f"{k + 1:0{max(3, len(str(n)))}d}" for k in range(n)], dtype=object)
    fu = _follow_up(rng, protocol, p, cut)
    tables = {"screening": _screening_frame(s, sids)}
    tables.update(_participant_frames(rng, protocol, p, fu, pids, sids))
    # deviations, adverse events before treatment and partial onset dates draw from streams
    # of their own, so the other tables stay as they were
    tables["deviations"] = _deviations(np.random.default_rng([seed, 1]), p, pids, cut)
    tables["adverse_events"] = _ae_as_collected(np.random.default_rng([seed, 2]),
                                                tables["adverse_events"], p, fu, pids)
    _pain_and_opioids(np.random.default_rng([seed, 3]), fu, tables, cut)
    tables["sre_events"] = _more_sres(np.random.default_rng([seed, 4]), protocol, fu, pids,
                                      tables["sre_events"], cut)
    if seed == CROSSING_SEED:
        tables["adverse_events"] = _crossing(protocol, tables, cut)
    return tables


# The one seed whose export crosses the safety stopping rule (``synth --seed 35``): a
# DSMB's alarm to rehearse on. Every other seed leaves the rule uncrossed in the sample.
CROSSING_SEED = 35


def _crossing(protocol: Protocol, tables: dict, cut: np.datetime64) -> pd.DataFrame:
    """Adverse events that cross the safety rule early: a related grade 3 nerve injury a
    week after treatment in every other treated participant of the monitored arm, from the
    second on (2 of the first 3, then more). Only adverse-event rows are added."""
    r = tables["randomization"]
    s = protocol.safety_rule
    tdate = r["treatment_date"].to_numpy().astype("datetime64[D]")
    treated = ((r["arm"] == s.arm) & (r["received_allocated"] != "false")).to_numpy() \
        & ~np.isnat(tdate)
    rows = np.flatnonzero(treated)[1::2][:max(3, s.n_max // 3)]
    onset = tdate[rows] + 7 * DAY
    rows, onset = rows[onset <= cut], onset[onset <= cut]
    planted = pd.DataFrame({
        "participant_id": r["participant_id"].to_numpy()[rows],
        "onset_date": [str(d) for d in onset], "term": "Nerve injury",
        "soc": AE_SOC["Nerve injury"], "grade": 3, "serious": "true", "related": "true"})
    return pd.concat([tables["adverse_events"], planted], ignore_index=True)


# Pain response to treatment: the chance of a lasting fall in pain, by arm position (first
# arm = the intervention). Invented.
PAIN_RESPONDERS = (0.72, 0.55)


def _pain_and_opioids(rng, fu: dict, tables: dict, cut: np.datetime64) -> None:
    """Pain courses and opioid use (OMED, mg/day): pain falls after treatment in most,
    rises in the two months before an SRE and for a while after it; opioids follow pain
    (reduced when pain fell, increased when it rose); some OMED values missing."""
    n = len(fu["pain0"])
    base = fu["pain0"].astype(float)
    responder = rng.random(n) < np.array(PAIN_RESPONDERS)[np.minimum(fu["arm_pos"], 1)]
    benefit = np.where(responder, rng.uniform(2, base + 0.5), rng.uniform(-1, 1.5, n))
    on_opioid = rng.random(n) < 0.65
    omed0 = np.where(on_opioid, np.round(rng.lognormal(np.log(30), 0.6, n) / 5) * 5, 0.0)
    omed0[rng.random(n) < 0.07] = np.nan       # not recorded at baseline
    v = fu["visits"]
    k, date = v["k"], v["date"]
    m = len(k)
    pain = base[k] - benefit[k] + rng.normal(0, 0.8, m)
    for e, has in (("e1", "has1"), ("e2", "has2")):
        gap = (fu[e][k] - date).astype("timedelta64[D]").astype(float)
        before = fu[has][k] & (gap >= 0) & (gap <= 60)
        after = fu[has][k] & (gap < 0) & (gap >= -90)
        pain += np.where(before, rng.integers(2, 4, m), 0) + np.where(after, 1.5, 0)
    pain = np.clip(np.round(pain), 0, 10)
    change = pain - base[k]
    factor = np.where(change <= -2, np.where(rng.random(m) < 0.5, rng.uniform(0.3, 0.75, m),
                                             rng.uniform(0.85, 1.1, m)),
                      np.where(change >= 1, rng.uniform(1.25, 1.8, m),
                               rng.uniform(0.85, 1.15, m)))
    start = np.where(change >= 1, np.round(rng.uniform(10, 30, m) / 5) * 5, 0.0)
    omed = np.where(omed0[k] > 0, np.round(omed0[k] * factor, 1), start)
    omed[np.isnan(omed0[k]) | (rng.random(m) < 0.05)] = np.nan
    visits = tables["visits"]
    done = v["done"]
    visits["pain_nrs"] = np.where(done, pain, np.nan)
    visits["omed_mg"] = np.where(done, omed, np.nan)
    tables["randomization"]["omed_mg"] = omed0


def _more_sres(rng, proto: Protocol, fu: dict, pids, sre: pd.DataFrame, cut: np.datetime64
               ) -> pd.DataFrame:
    """Further SRE records: a third SRE for some with two, and records that are not new
    SREs (a second record of the same day; one within the protocol's gap)."""
    n = len(fu["e1"])
    end = _earlier(np.full(n, cut), fu["off"])
    e3 = fu["e2"] + _days(rng, 25, 200, n)
    has3 = fu["has2"] & (rng.random(n) < 0.35) & (e3 <= end)
    same = fu["has1"] & (rng.random(n) < 0.15)
    near = fu["e1"] + _days(rng, 3, max(4, proto.sre_min_gap_days), n)
    within = fu["has1"] & (rng.random(n) < 0.35) & (near <= end)
    k = np.concatenate([np.flatnonzero(has3), np.flatnonzero(same), np.flatnonzero(within)])
    when = np.concatenate([e3[has3], fu["e1"][same], near[within]])
    levels = np.array(proto.eligibility["allowed_levels"], dtype=object)
    extra = pd.DataFrame({"participant_id": pids[k], "event_date": when,
                          "sre_type": _choice(rng, SRE_MIX, len(k)),
                          "spine_level": levels[rng.integers(0, len(levels), len(k))]})
    out = pd.concat([sre, extra], ignore_index=True)
    return out.sort_values(["participant_id", "event_date"], kind="stable").reset_index(
        drop=True)


PRE_TREATMENT_TERMS = ("Back pain", "Fatigue", "Nausea", "Anemia")


def _ae_as_collected(rng, ae: pd.DataFrame, p: dict, fu: dict, pids: np.ndarray
                     ) -> pd.DataFrame:
    """Adverse events as a site records them: some began before treatment (collected from
    consent on, here from a week before randomization), and about one onset in ten is
    known only to the month (or, one in five of those, the year)."""
    treated = np.flatnonzero(fu["treated"])
    k = treated[rng.random(len(treated)) < 0.12]
    days = ((fu["tdate"][k] - p["rdate"][k]) // DAY).astype(int) + 7   # up to the day before
    onset = p["rdate"][k] - 7 * DAY + (rng.random(len(k)) * days).astype(int) * DAY
    terms = np.array(PRE_TREATMENT_TERMS, dtype=object)[rng.integers(0, 4, len(k))]
    pre = pd.DataFrame({
        "participant_id": pids[k], "onset_date": onset, "term": terms,
        "soc": [AE_SOC[t] for t in terms], "grade": rng.choice([1, 2], len(k)),
        "serious": _flags(np.zeros(len(k), bool)), "related": _flags(np.zeros(len(k), bool))})
    out = pd.concat([pre, ae], ignore_index=True).sort_values("participant_id", kind="stable")
    text = pd.to_datetime(out["onset_date"]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    partial = (rng.random(len(out)) < 0.10) & (out["grade"].to_numpy() < 5)
    year = partial & (rng.random(len(out)) < 0.2)
    text[partial] = [t[:7] for t in text[partial]]
    text[year] = [t[:4] for t in text[year]]
    return out.assign(onset_date=text).reset_index(drop=True)


DEVIATIONS = (  # category, weight, important share, descriptions
    ("visit_window", 5, 0.0, ("Follow-up visit outside its window", "Visit done by telephone")),
    ("assessment", 3, 0.1, ("Pain score not recorded", "Imaging not done at month 3")),
    ("treatment", 2, 0.6, ("Radiotherapy fractionation changed", "Procedure delayed > 14 days")),
    ("consent", 1, 0.5, ("Consent form version out of date",)),
    ("eligibility", 1, 1.0, ("Labs older than 14 days at randomization",)),
    ("other", 1, 0.0, ("Case report form completed late",)),
)


def _deviations(rng, p: dict, pids: np.ndarray, cut: np.datetime64) -> pd.DataFrame:
    """About one deviation per five participants, dated between randomization and the cut."""
    n = len(pids)
    k = np.sort(rng.choice(n, size=min(n, round(n * 0.2)), replace=False)) if n else \
        np.array([], dtype=int)
    weights = np.array([d[1] for d in DEVIATIONS], dtype=float)
    cat = rng.choice(len(DEVIATIONS), size=len(k), p=weights / weights.sum())
    span = np.maximum((cut - p["rdate"][k]).astype(int), 1)
    when = p["rdate"][k] + (rng.random(len(k)) * span).astype(int).astype("timedelta64[D]")
    important = rng.random(len(k)) < np.array([DEVIATIONS[c][2] for c in cat])
    text = [DEVIATIONS[c][3][int(rng.integers(len(DEVIATIONS[c][3])))] for c in cat]
    order = np.lexsort((k, when))
    return pd.DataFrame({
        "participant_id": pids[k][order], "deviation_date": when[order],
        "category": np.array([DEVIATIONS[c][0] for c in cat], dtype=object)[order],
        "important": _flags(important[order]), "description": np.array(text, dtype=object)[order]})


def _follow_up(rng, proto: Protocol, p: dict, cut: np.datetime64) -> dict:
    """Treatment, off-study, SRE, visit and AE arrays for every participant."""
    n = len(p["rdate"])
    rdate, arm_pos = p["rdate"], np.array([proto.arm_codes.index(a) for a in p["arm"]], int)
    tdate = rdate + _days(rng, 3, 15, n)
    tdate[(tdate > cut) | (np.arange(n) == n - 1)] = NAT  # the newest is not yet treated
    treated = ~np.isnat(tdate)
    later = np.flatnonzero((np.arange(n) >= n // 3) & (arm_pos == 0))
    crossover = later[0] if len(later) else -1  # one did not receive the allocated treatment
    death = rng.exponential(DEATH_MEDIAN_MONTHS / math.log(2), n) * MONTH_DAYS
    died = rdate + death.astype(np.int64) * DAY <= cut
    off = np.where(died, rdate + np.maximum(20, death.astype(np.int64)) * DAY, NAT)
    reason = np.full(n, None, dtype=object)
    reason[died] = "death"
    n_off = max(1, round(0.03 * n))
    withdraw = rng.choice(n, size=min(n, n_off), replace=False) if n else np.array([], int)
    rest = np.setdiff1d(np.arange(n), withdraw)
    lost = rng.choice(rest, size=min(len(rest), n_off), replace=False) if len(rest) else rest
    w = tdate[withdraw] + _days(rng, 40, 150, len(withdraw))
    ok = ~np.isnat(w) & (w <= cut) & (np.isnat(off[withdraw]) | (w < off[withdraw]))
    off[withdraw[ok]], reason[withdraw[ok]] = w[ok], "withdrawal"
    last_contact = np.full(n, NAT)
    last_contact[lost] = tdate[lost] + _days(rng, 60, 120, len(lost))
    lost_date = last_contact[lost] + 120 * DAY
    ok = ~np.isnat(lost_date) & (lost_date <= cut) & (np.isnat(off[lost]) | (lost_date < off[lost]))
    off[lost[ok]], reason[lost[ok]] = lost_date[ok], "lost_to_follow_up"
    gone = off > cut
    off[gone], reason[gone] = NAT, None
    # first SRE (and sometimes a second) before the end of follow-up
    lam = -np.log(1 - np.array(SRE_12M)[np.minimum(arm_pos, 1)]) / (12 * MONTH_DAYS)
    t_sre = rng.exponential(1 / lam)
    end = _earlier(_earlier(np.full(n, cut), off), last_contact)
    e1 = rdate + np.maximum(5, t_sre.astype(np.int64)) * DAY
    has1 = e1 <= end
    e2 = e1 + _days(rng, 20, 200, n)
    has2 = has1 & (rng.random(n) < 0.25) & (e2 <= end)
    fu = {"tdate": tdate, "treated": treated, "crossover": crossover, "arm_pos": arm_pos,
          "off": off, "reason": reason, "e1": e1, "has1": has1, "e2": e2, "has2": has2,
          "pain0": rng.integers(4, 10, n), "tumor": _choice(rng, TUMORS, n),
          "ecog": rng.choice(3, size=n, p=[.3, .5, .2]),
          "lesion": np.where(rng.random(n) < 0.7, "lytic", "mixed"),
          "sins": rng.integers(5, 13, n)}
    fu["visits"] = _visits(rng, proto, fu, last_contact, cut)
    fu["aes"] = _adverse_events(rng, fu, cut)
    return fu


def _visits(rng, proto: Protocol, fu: dict, last_contact, cut) -> dict:
    """Visit records: some missed, late, early, or not yet recorded (due or overdue)."""
    tdate, off = fu["tdate"], fu["off"]
    n = len(tdate)
    parts = []
    for m in proto.visit_months:
        before, after = proto.windows[m]
        target = add_months(tdate, m)
        wopen, wclose = target - before * DAY, target + after * DAY
        u = rng.random(n)
        late = wclose + _days(rng, 1, 20, n)
        early = wopen - _days(rng, 1, 6, n)
        inside = target + _days(rng, -before, after + 1, n)
        vdate = np.where(u < 0.16, late, np.where(u < 0.19, early, inside))
        drop = rng.integers(0, 5, n)
        due = fu["treated"] & (wopen <= cut) & ~(off <= wclose) & ~(wopen > last_contact)
        missed = due & (u < 0.05)
        done = due & (u >= 0.11) & (vdate <= cut) & ~(vdate > off)
        flare = np.where(fu["has1"] & (fu["e1"] <= vdate), 2, 0)
        pain = np.clip(fu["pain0"] - drop + flare, 0, 10)
        k = np.flatnonzero(missed | done)
        parts.append({"k": k, "month": np.full(len(k), m), "done": done[k],
                      "date": np.where(done[k], vdate[k], NAT), "pain": pain[k]})
    v = {c: np.concatenate([x[c] for x in parts]) for c in parts[0]}
    order = np.lexsort((v["month"], v["k"]))
    return {c: a[order] for c, a in v.items()}


def _adverse_events(rng, fu: dict, cut) -> dict:
    """Adverse events after treatment, then a grade 5 event for each death."""
    n = len(fu["tdate"])
    count = np.where(fu["treated"], rng.poisson(1.3, n), 0)
    k = np.repeat(np.arange(n), count)
    m = len(k)
    onset = fu["tdate"][k] + _days(rng, 0, 120, m)
    weights = np.array([t[2] for t in AE_TERMS], dtype=float)
    term = rng.choice(len(AE_TERMS), size=m, p=weights / weights.sum())
    grade = rng.choice([1, 2, 3, 4], size=m, p=[.55, .30, .12, .03])
    serious = (grade >= 3) | (rng.random(m) < 0.05)
    proc = np.array([t[1] for t in AE_TERMS])[term]
    related = proc & (fu["arm_pos"][k] == 0) & (rng.random(m) < 0.8)
    keep = (onset <= cut) & ~(onset > fu["off"][k])
    dead = np.flatnonzero(fu["reason"] == "death")
    names = np.array([t[0] for t in AE_TERMS] + ["Death - disease progression"], dtype=object)
    a = {"k": np.concatenate([k[keep], dead]),
         "seq": np.concatenate([np.zeros(keep.sum(), int), np.ones(len(dead), int)]),
         "onset": np.concatenate([onset[keep], fu["off"][dead]]),
         "term": names[np.concatenate([term[keep], np.full(len(dead), len(AE_TERMS))])],
         "grade": np.concatenate([grade[keep], np.full(len(dead), 5)]),
         "serious": np.concatenate([serious[keep], np.ones(len(dead), bool)]),
         "related": np.concatenate([related[keep], np.zeros(len(dead), bool)])}
    order = np.lexsort((a["seq"], a["k"]))  # stable: a participant's events in draw order
    return {c: x[order] for c, x in a.items()}


def _flags(a: np.ndarray, yes: str = "true", no: str = "false") -> np.ndarray:
    """Text of 0/1/NaN flags; None (an empty cell) when missing."""
    a = np.asarray(a, dtype=float)
    out = np.where(a == 1, yes, no).astype(object)
    out[np.isnan(a)] = None
    return out


# Decimal places written for numbers (any other number is a whole number).
DECIMALS = {"weight_kg": 1, "anc": 1, "hemoglobin": 1, "bilirubin": 1, "bilirubin_uln": 1,
            "creatinine": 2, "creatinine_uln": 1, "omed_mg": 1}


def _screening_frame(s: dict, sids: np.ndarray) -> pd.DataFrame:
    out = {"screening_id": sids, "sex": np.where(s["female"], "F", "M").astype(object)}
    for col in TABLES["screening"].names:
        if col in out:
            continue
        if s[col].dtype.kind in "MO" or col in DECIMALS or col in (
                "age", "platelets", "ast", "ast_uln", "alt", "alt_uln", "albumin"):
            out[col] = s[col]
        else:  # yes/no flags, as many screening forms export them
            out[col] = _flags(s[col], "yes", "no")
    return pd.DataFrame(out)


def _participant_frames(rng, proto: Protocol, p: dict, fu: dict, pids, sids) -> dict:
    received = np.where(fu["treated"], 1.0, np.nan)
    if fu["crossover"] >= 0 and fu["treated"][fu["crossover"]]:
        received[fu["crossover"]] = 0
    tables = {"randomization": pd.DataFrame({
        "participant_id": pids, "screening_id": sids[p["screen_row"]],
        "randomization_date": p["rdate"], "arm": p["arm"],
        "treatment_date": fu["tdate"], "received_allocated": _flags(received),
        "primary_tumor": fu["tumor"], "ecog": fu["ecog"], "lesion_type": fu["lesion"],
        "sins": fu["sins"], "pain_nrs": fu["pain0"]})}
    v = fu["visits"]
    tables["visits"] = pd.DataFrame({
        "participant_id": pids[v["k"]], "visit_month": v["month"],
        "status": np.where(v["done"], "completed", "missed"), "visit_date": v["date"],
        "pain_nrs": np.where(v["done"], v["pain"], np.nan)})
    k = np.concatenate([np.flatnonzero(fu["has1"]), np.flatnonzero(fu["has2"])])
    when = np.concatenate([fu["e1"][fu["has1"]], fu["e2"][fu["has2"]]])
    order = np.lexsort((when, k))
    levels = np.array(proto.eligibility["allowed_levels"], dtype=object)
    tables["sre_events"] = pd.DataFrame({
        "participant_id": pids[k[order]], "event_date": when[order],
        "sre_type": _choice(rng, SRE_MIX, len(k)),
        "spine_level": levels[rng.integers(0, len(levels), len(k))]})
    gone = np.flatnonzero(~np.isnat(fu["off"]))
    tables["offstudy"] = pd.DataFrame({
        "participant_id": pids[gone], "off_study_date": fu["off"][gone],
        "reason": fu["reason"][gone]})
    a = fu["aes"]
    tables["adverse_events"] = pd.DataFrame({
        "participant_id": pids[a["k"]], "onset_date": a["onset"], "term": a["term"],
        "soc": [AE_SOC.get(str(t), "") for t in a["term"]],
        "grade": a["grade"], "serious": _flags(a["serious"]), "related": _flags(a["related"])})
    return tables


def _cell_sql(name: str, dtype) -> str:
    """How a column is written: dates as YYYY-MM-DD, numbers with their decimals."""
    from rfa_dash.db import ident

    q = ident(name)
    if dtype.kind == "M":
        return f"CAST({q} AS DATE) AS {q}"
    if dtype.kind == "f":
        nd = DECIMALS.get(name, 0)
        return f"CAST({q} AS {f'DECIMAL(18, {nd})' if nd else 'BIGINT'}) AS {q}"
    return q


def write_export(tables: dict[str, pd.DataFrame], out: Path, manifest: dict) -> None:
    """Write tables as CSV and ``manifest.json`` into ``out`` (created if needed).

    DuckDB formats the cells (missing values as empty cells), through a
    connection that may touch only ``out``.
    """
    from rfa_dash.db import hardened_connection

    out.mkdir(parents=True, exist_ok=True)
    con = hardened_connection(out)
    try:
        for name in TABLE_ORDER:
            cols = TABLES[name].names
            frame = tables[name][cols]
            con.register("_synth", frame)
            cells = ", ".join(_cell_sql(c, frame[c].dtype) for c in cols)
            con.sql(f"SELECT {cells} FROM _synth").to_csv(str(out / f"{name}.csv"),
                                                          header=True, sep=",")
            con.unregister("_synth")
    finally:
        con.close()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def synth(out: Path, patients: int, seed: int, protocol: Protocol | None = None,
          exported_at: dt.date = DEFAULT_EXPORTED_AT) -> dict:
    """Generate and write a synthetic export; return its manifest."""
    protocol = protocol or load_protocol()
    tables = generate(protocol, patients, seed, exported_at=exported_at)
    manifest = {
        "exported_at": exported_at.isoformat(),
        "trial": protocol.registry_id,
        "synthetic": True,
        "note": "SYNTHETIC DATA generated by rfa_dash synth; no real patient.",
        "generator": {"patients": patients, "seed": seed},
    }
    write_export(tables, Path(out), manifest)
    return manifest
