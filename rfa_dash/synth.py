"""Deterministic synthetic exports (``python -m rfa_dash synth``).

The generator writes an export in the contract format whose shape resembles
the reference trial mid-way: screen failures for varied criteria (some near
misses and incomplete screenings), 2:1 permuted-block allocation, visits with
some missed, late, early and overdue, SREs of several types more often in the
RT-alone arm, deaths, a withdrawal, a loss to follow-up and adverse events.
Same seed and arguments, same bytes. Every value is invented.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

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
# Criteria failed by screen failures, with weights (most common first).
FAIL_MIX = (
    ("cord_compression", 14), ("rfa_ineligible", 12), ("spine_levels", 10),
    ("surgical_candidate", 10), ("prior_rt", 8), ("hemoglobin", 8), ("physician_excluded", 6),
    ("albumin", 6), ("platelets", 5), ("labs_recent", 5), ("anc", 4), ("renal", 4),
    ("pain_or_imaging", 4), ("ast_alt", 3), ("bilirubin", 3), ("histology", 3),
    ("contraception", 2), ("age", 1), ("pregnant", 1),
)


def add_months(d: dt.date, months: int) -> dt.date:
    """Calendar months later; a day missing in the target month becomes its last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _pick(rng, options):
    names = [o[0] for o in options]
    w = np.array([o[-1] for o in options], dtype=float)
    return names[rng.choice(len(names), p=w / w.sum())]


def _b(value: bool, style: str = "yes") -> str:
    if value is None:
        return ""
    return ("yes" if value else "no") if style == "yes" else ("true" if value else "false")


def _f(x, nd=1) -> str:
    return "" if x is None else f"{x:.{nd}f}"


def _screen_patient(rng, sid, screen_date, proto: Protocol) -> dict:
    """One screening row: passing values, then perturbed to fail or go missing."""
    e = proto.eligibility
    levels = e["allowed_levels"]
    age = int(np.clip(round(rng.normal(64, 10)), 19, 92))
    sex = "F" if rng.random() < 0.48 else "M"
    k = int(rng.integers(0, len(levels) - 1))
    n_lv = 1 if rng.random() < 0.7 else 2
    row = {
        "screening_id": sid, "screen_date": screen_date.isoformat(), "age": age, "sex": sex,
        "weight_kg": round(float(rng.normal(74 if sex == "M" else 64, 11)), 1),
        "spine_levels": ";".join(levels[k:k + n_lv]),
        "histology_confirmed": True, "bone_pain": rng.random() < 0.85,
        "sre_imaging_predictors": rng.random() < 0.6,
        "lab_date": (screen_date - dt.timedelta(days=int(rng.integers(0, 11)))).isoformat(),
        "anc": round(float(rng.uniform(2.0, 7.5)), 1),
        "platelets": int(rng.uniform(120, 380)),
        "hemoglobin": round(float(rng.uniform(10.6, 14.8)), 1),
        "transfused_14d": False,
        "ast": int(rng.uniform(14, 60)), "ast_uln": 40,
        "alt": int(rng.uniform(10, 70)), "alt_uln": 56,
        "liver_mets": rng.random() < 0.15,
        "bilirubin": round(float(rng.uniform(0.3, 1.2)), 1), "bilirubin_uln": 1.2,
        "gilbert": rng.random() < 0.03, "albumin": int(rng.uniform(31, 46)),
        "creatinine": round(float(rng.uniform(0.6, 1.3)), 2), "creatinine_uln": 1.3,
        "childbearing_potential": sex == "F" and age < 50 and rng.random() < 0.6,
        "contraception_agreed": None, "pregnant_or_breastfeeding": False,
        "cord_compression_or_radicular_pain": False, "prior_rt_target": False,
        "surgical_candidate": False, "rfa_ineligible_lesion": False,
        "physician_excluded": False,
    }
    if row["childbearing_potential"]:
        row["contraception_agreed"] = True
    if row["bone_pain"] is False:
        row["sre_imaging_predictors"] = True
    return row


def _fail(rng, row, criterion, near_miss, proto: Protocol, screen_date) -> None:
    """Change ``row`` so that it fails ``criterion`` (near its threshold if ``near_miss``)."""
    e = proto.eligibility
    def below(th, lo):  # a value under a lower threshold
        th = float(th)
        return round(th * (1 - (rng.uniform(0.01, 0.09) if near_miss else rng.uniform(lo, 0.6))), 1)
    if criterion == "age":
        row["age"] = int(e["min_age"]) - 1
    elif criterion == "histology":
        row["histology_confirmed"] = False
    elif criterion == "spine_levels":
        row["spine_levels"] = "T3;T4" if rng.random() < 0.4 else (
            "S1" if rng.random() < 0.5 else "T8;T9;T10")
    elif criterion == "pain_or_imaging":
        row["bone_pain"] = False
        row["sre_imaging_predictors"] = False
    elif criterion == "labs_recent":
        row["lab_date"] = (screen_date - dt.timedelta(days=int(rng.integers(16, 40)))).isoformat()
    elif criterion == "anc":
        row["anc"] = below(e["anc_min"], 0.2)
    elif criterion == "platelets":
        row["platelets"] = int(below(e["platelets_min"], 0.15))
    elif criterion == "hemoglobin":
        if rng.random() < 0.3 and not near_miss:
            row["transfused_14d"] = True
        else:
            row["hemoglobin"] = below(e["hemoglobin_min"], 0.12)
    elif criterion == "ast_alt":
        row["liver_mets"] = False
        factor = 1.05 if near_miss else 1.8
        row["ast"] = int(row["ast_uln"] * float(e["ast_alt_max_uln"]) * factor)
    elif criterion == "bilirubin":
        row["gilbert"] = False
        factor = 1.05 if near_miss else 1.6
        row["bilirubin"] = round(1.2 * float(e["bilirubin_max_uln"]) * factor, 1)
    elif criterion == "albumin":
        row["albumin"] = int(below(e["albumin_min"], 0.1))
    elif criterion == "renal":
        row["creatinine"] = 2.4
        row["age"] = max(row["age"], 75)
        row["weight_kg"] = 55.0
    elif criterion == "contraception":
        row.update(sex="F", age=min(row["age"], 42), childbearing_potential=True,
                   contraception_agreed=False)
    elif criterion == "pregnant":
        row.update(sex="F", age=min(row["age"], 38), pregnant_or_breastfeeding=True,
                   childbearing_potential=True, contraception_agreed=True)
    elif criterion == "cord_compression":
        row["cord_compression_or_radicular_pain"] = True
    elif criterion == "prior_rt":
        row["prior_rt_target"] = True
    elif criterion == "surgical_candidate":
        row["surgical_candidate"] = True
    elif criterion == "rfa_ineligible":
        row["rfa_ineligible_lesion"] = True
    elif criterion == "physician_excluded":
        row["physician_excluded"] = True


SCREEN_BOOL = ("histology_confirmed", "bone_pain", "sre_imaging_predictors", "transfused_14d",
               "liver_mets", "gilbert", "childbearing_potential", "contraception_agreed",
               "pregnant_or_breastfeeding", "cord_compression_or_radicular_pain",
               "prior_rt_target", "surgical_candidate", "rfa_ineligible_lesion",
               "physician_excluded", "consented")


def generate(protocol: Protocol, patients: int, seed: int,
             start: dt.date = DEFAULT_START,
             exported_at: dt.date = DEFAULT_EXPORTED_AT) -> dict[str, list[dict]]:
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
        Table name to a list of row dicts, in file order.
    """
    rng = np.random.default_rng(seed)
    n_screen = max(3, round(patients * SCREENED_PER_PARTICIPANT))
    span = (exported_at - start).days - 10
    offsets = np.sort(rng.integers(0, span, n_screen))
    width = max(4, len(str(n_screen)))
    screening = []
    for i, off in enumerate(offsets):
        sdate = start + dt.timedelta(days=int(off))
        row = _screen_patient(rng, f"SCR-{i + 1:0{width}d}", sdate, protocol)
        u = rng.random()
        if u < 0.47:  # screen failure, sometimes on two criteria
            near = rng.random() < 0.15
            crit = _pick(rng, FAIL_MIX)
            if near and crit not in ("anc", "platelets", "hemoglobin", "albumin", "ast_alt",
                                     "bilirubin"):
                near = False
            _fail(rng, row, crit, near, protocol, sdate)
            if rng.random() < 0.12:
                _fail(rng, row, _pick(rng, FAIL_MIX), False, protocol, sdate)
        elif u < 0.52:  # incomplete: a needed value is missing
            gap = ("albumin", "lab_date", "liver_mets", "hemoglobin")[int(rng.integers(0, 4))]
            row[gap] = None
            if gap == "liver_mets":
                row["ast"] = int(row["ast_uln"] * 4)  # decides between 3x and 5x ULN
        screening.append(row)
    if n_screen > 5:
        # one patient exactly at the bilirubin limit: 1.8 mg/dL = 1.5 x ULN 1.2 passes
        screening[n_screen // 2].update(bilirubin=1.8, bilirubin_uln=1.2, gilbert=False)

    # consent and randomization for eligible patients
    elig_rows = [r for r in screening if _is_eligible_quick(r, protocol)]
    codes = protocol.arm_codes
    block = [a.code for a in protocol.arms for _ in range(a.ratio)]
    randomization, alloc = [], []
    for r in elig_rows:
        sdate = dt.date.fromisoformat(r["screen_date"])
        if rng.random() < 0.86:
            cdate = sdate + dt.timedelta(days=int(rng.integers(0, 8)))
            r["consented"] = True
            r["consent_date"] = cdate.isoformat()
            rdate = cdate + dt.timedelta(days=int(rng.integers(1, 11)))
            if rdate <= exported_at - dt.timedelta(days=2) and rng.random() < 0.97:
                randomization.append({"screening_id": r["screening_id"], "rdate": rdate,
                                      "sex": r["sex"]})
        else:
            r["consented"] = False
    for r in screening:
        r.setdefault("consented", False)
        r.setdefault("consent_date", None)
    randomization.sort(key=lambda x: (x["rdate"], x["screening_id"]))
    pwidth = max(3, len(str(len(randomization))))
    for k, p in enumerate(randomization):
        if k % len(block) == 0:
            alloc = list(rng.permutation(block))
            if rng.random() < 0.5:  # permuted blocks of 3 and 6
                alloc += list(rng.permutation(block))
        p["arm"] = alloc.pop(0) if alloc else codes[0]
        p["participant_id"] = f"{k + 1:0{pwidth}d}"
    rand_rows, visits, sres, offstudy, aes = [], [], [], [], []
    n = len(randomization)
    n_off = max(1, round(0.03 * n))
    withdraw = set(rng.choice(n, size=min(n, n_off), replace=False).tolist()) if n else set()
    ltfu_pool = [i for i in range(n) if i not in withdraw]
    ltfu = set(rng.choice(ltfu_pool, size=min(len(ltfu_pool), max(1, round(0.03 * n))),
                          replace=False).tolist()) if ltfu_pool else set()
    # one intervention-arm participant who did not receive the allocated treatment
    crossover = next((k for k, p in enumerate(randomization)
                      if p["arm"] == codes[0] and k >= n // 3), None)
    for k, p in enumerate(randomization):
        _follow_up(rng, protocol, p, k, n, k in withdraw, k in ltfu, exported_at,
                   rand_rows, visits, sres, offstudy, aes, crossover=k == crossover)
    return {"screening": screening, "randomization": rand_rows, "visits": visits,
            "sre_events": sres, "offstudy": offstudy, "adverse_events": aes}


def _is_eligible_quick(r: dict, proto: Protocol) -> bool:
    """Whether a generated row is eligible (the generator's own view, for consent)."""
    from decimal import Decimal as D

    e = proto.eligibility
    if any(r.get(k) is None for k in ("albumin", "lab_date", "liver_mets", "hemoglobin")):
        return False
    lv = r["spine_levels"].split(";")
    if len(lv) > e["max_levels"] or any(x not in e["allowed_levels"] for x in lv):
        return False
    age_ok = (dt.date.fromisoformat(r["screen_date"]) - dt.date.fromisoformat(r["lab_date"])).days
    k = e["ast_alt_max_uln_liver_mets"] if r["liver_mets"] else e["ast_alt_max_uln"]
    bil = D(str(r["bilirubin"]))
    bil_ok = (bil < e["bilirubin_below_uln_gilbert"] * D(str(r["bilirubin_uln"]))
              if r["gilbert"] else bil <= e["bilirubin_max_uln"] * D(str(r["bilirubin_uln"])))
    cr = D(str(r["creatinine"]))
    cg = (140 - r["age"]) * D(str(r["weight_kg"])) * (D("0.85") if r["sex"] == "F" else 1)
    renal = cr <= e["creatinine_max_uln"] * D(str(r["creatinine_uln"])) or cg >= \
        e["creatinine_clearance_min"] * 72 * cr
    return all((
        r["age"] >= e["min_age"], r["histology_confirmed"],
        r["bone_pain"] or r["sre_imaging_predictors"], 0 <= age_ok <= e["labs_max_age_days"],
        D(str(r["anc"])) >= e["anc_min"], D(str(r["platelets"])) >= e["platelets_min"],
        D(str(r["hemoglobin"])) >= e["hemoglobin_min"] and not r["transfused_14d"],
        r["ast"] <= k * r["ast_uln"] and r["alt"] <= k * r["alt_uln"], bil_ok,
        D(str(r["albumin"])) >= e["albumin_min"], renal,
        not r["childbearing_potential"] or r["contraception_agreed"],
        not r["pregnant_or_breastfeeding"], not r["cord_compression_or_radicular_pain"],
        not r["prior_rt_target"], not r["surgical_candidate"], not r["rfa_ineligible_lesion"],
        not r["physician_excluded"],
    ))


def _follow_up(rng, proto, p, k, n, withdraws, lost, exported_at,
               rand_rows, visits, sres, offstudy, aes, crossover=False) -> None:
    """Treatment, visits, SREs, off-study and AEs of one participant."""
    pid, arm, rdate = p["participant_id"], p["arm"], p["rdate"]
    arm_pos = proto.arm_codes.index(arm)
    tdate = rdate + dt.timedelta(days=int(rng.integers(3, 15)))
    if k == n - 1 or tdate > exported_at:
        tdate = None  # the most recent participant is not yet treated
    pain0 = int(rng.integers(4, 10))
    rand_rows.append({
        "participant_id": pid, "screening_id": p["screening_id"],
        "randomization_date": rdate.isoformat(), "arm": arm,
        "treatment_date": tdate.isoformat() if tdate else None,
        "received_allocated": (not crossover) if tdate else None,
        "primary_tumor": _pick(rng, TUMORS), "ecog": int(rng.choice(3, p=[.3, .5, .2])),
        "lesion_type": "lytic" if rng.random() < 0.7 else "mixed",
        "sins": int(rng.integers(5, 13)), "pain_nrs": pain0,
    })
    month = 30.4375
    death_t = rng.exponential(DEATH_MEDIAN_MONTHS / math.log(2)) * month
    off_date, reason = None, None
    if rdate + dt.timedelta(days=int(death_t)) <= exported_at:
        off_date, reason = rdate + dt.timedelta(days=max(20, int(death_t))), "death"
    if withdraws and tdate:
        w = tdate + dt.timedelta(days=int(rng.integers(40, 150)))
        if w <= exported_at and (off_date is None or w < off_date):
            off_date, reason = w, "withdrawal"
    last_contact_limit = None
    if lost and tdate:
        last_contact_limit = tdate + dt.timedelta(days=int(rng.integers(60, 120)))
        lost_date = last_contact_limit + dt.timedelta(days=120)
        if lost_date <= exported_at and (off_date is None or lost_date < off_date):
            off_date, reason = lost_date, "lost_to_follow_up"
    if off_date and off_date > exported_at:
        off_date, reason = None, None
    # first SRE (and sometimes a second)
    lam = -math.log(1 - SRE_12M[min(arm_pos, 1)]) / (12 * month)
    t_sre = rng.exponential(1 / lam)
    end = min(exported_at, off_date or exported_at)
    if last_contact_limit:
        end = min(end, last_contact_limit)
    sre_dates = []
    e1 = rdate + dt.timedelta(days=max(5, int(t_sre)))
    if e1 <= end:
        sre_dates.append(e1)
        if rng.random() < 0.25:
            e2 = e1 + dt.timedelta(days=int(rng.integers(20, 200)))
            if e2 <= end:
                sre_dates.append(e2)
    levels = [x for x in ["T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3",
                          "L4", "L5"]]
    for d in sre_dates:
        sres.append({"participant_id": pid, "event_date": d.isoformat(),
                     "sre_type": _pick(rng, SRE_MIX),
                     "spine_level": levels[int(rng.integers(0, len(levels)))]})
    if off_date:
        offstudy.append({"participant_id": pid, "off_study_date": off_date.isoformat(),
                         "reason": reason})
    if tdate:
        for m in proto.visit_months:
            before, after = proto.windows[m]
            target = add_months(tdate, m)
            wopen, wclose = target - dt.timedelta(days=before), target + dt.timedelta(days=after)
            if wopen > exported_at or (off_date and off_date <= wclose):
                continue
            if last_contact_limit and wopen > last_contact_limit:
                continue
            u = rng.random()
            if u < 0.05:
                visits.append({"participant_id": pid, "visit_month": m, "status": "missed",
                               "visit_date": None, "pain_nrs": None})
                continue
            if u < 0.11:
                continue  # no record yet: due or overdue
            if u < 0.16:
                vdate = wclose + dt.timedelta(days=int(rng.integers(1, 20)))
            elif u < 0.19:
                vdate = wopen - dt.timedelta(days=int(rng.integers(1, 6)))
            else:
                vdate = target + dt.timedelta(days=int(rng.integers(-before, after + 1)))
            if vdate > exported_at or (off_date and vdate > off_date):
                continue
            flare = 2 if sre_dates and sre_dates[0] <= vdate else 0
            pain = int(np.clip(pain0 - rng.integers(0, 5) + flare, 0, 10))
            visits.append({"participant_id": pid, "visit_month": m, "status": "completed",
                           "visit_date": vdate.isoformat(), "pain_nrs": pain})
        for _ in range(int(rng.poisson(1.3))):
            onset = tdate + dt.timedelta(days=int(rng.integers(0, 120)))
            if onset > exported_at or (off_date and onset > off_date):
                continue
            term, proc, _w = AE_TERMS[int(rng.choice(len(AE_TERMS), p=_ae_p()))]
            grade = int(rng.choice([1, 2, 3, 4], p=[.55, .30, .12, .03]))
            aes.append({"participant_id": pid, "onset_date": onset.isoformat(), "term": term,
                        "grade": grade, "serious": grade >= 3 or rng.random() < 0.05,
                        "related": proc and arm_pos == 0 and rng.random() < 0.8})
    if reason == "death":
        aes.append({"participant_id": pid, "onset_date": off_date.isoformat(),
                    "term": "Death - disease progression", "grade": 5, "serious": True,
                    "related": False})


def _ae_p():
    w = np.array([t[2] for t in AE_TERMS], dtype=float)
    return w / w.sum()


COLUMNS = {
    "screening": ["screening_id", "screen_date", "age", "sex", "weight_kg", "spine_levels",
                  "histology_confirmed", "bone_pain", "sre_imaging_predictors", "lab_date",
                  "anc", "platelets", "hemoglobin", "transfused_14d", "ast", "ast_uln", "alt",
                  "alt_uln", "liver_mets", "bilirubin", "bilirubin_uln", "gilbert", "albumin",
                  "creatinine", "creatinine_uln", "childbearing_potential",
                  "contraception_agreed", "pregnant_or_breastfeeding",
                  "cord_compression_or_radicular_pain", "prior_rt_target",
                  "surgical_candidate", "rfa_ineligible_lesion", "physician_excluded",
                  "consented", "consent_date"],
    "randomization": ["participant_id", "screening_id", "randomization_date", "arm",
                      "treatment_date", "received_allocated", "primary_tumor", "ecog",
                      "lesion_type", "sins", "pain_nrs"],
    "visits": ["participant_id", "visit_month", "status", "visit_date", "pain_nrs"],
    "sre_events": ["participant_id", "event_date", "sre_type", "spine_level"],
    "offstudy": ["participant_id", "off_study_date", "reason"],
    "adverse_events": ["participant_id", "onset_date", "term", "grade", "serious", "related"],
}


def _cell(table: str, col: str, v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return _b(v, "yes" if table == "screening" else "true")
    if isinstance(v, float):
        return _f(v, 2 if col == "creatinine" else 1)
    return str(v)


def write_export(tables: dict[str, list[dict]], out: Path, manifest: dict) -> None:
    """Write tables as CSV and ``manifest.json`` into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, cols in COLUMNS.items():
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            for row in tables[name]:
                w.writerow([_cell(name, c, row.get(c)) for c in cols])
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
