"""Correctness at scale: the CLI's figures on a 10,000-participant synthetic export
equal an independent pandas computation from the same CSV files (no DuckDB, no
shared code beyond reading the protocol settings)."""

import csv
import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from rfa_dash.cli import main
from rfa_dash.protocol import load_protocol

P = load_protocol()
E = P.eligibility


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    out = tmp_path_factory.mktemp("big") / "export"
    assert main(["synth", "--out", str(out), "--patients", "10000", "--seed", "5"]) == 0
    return out


def cli(args, capsys) -> pd.DataFrame:
    assert main(args) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)


def _bool(v):
    return None if v == "" else v.lower() in ("true", "yes", "y", "1")


def _dec(v):
    return None if v == "" else Decimal(v)


def _and(*xs):
    return False if any(x is False for x in xs) else (None if any(x is None for x in xs)
                                                          else True)


def _or(*xs):
    return True if any(x is True for x in xs) else (None if any(x is None for x in xs)
                                                         else False)


def _cmp(a, op, b):
    return None if a is None or b is None else op(a, b)


def eligibility_row(r: dict, as_of) -> tuple[str, str, str]:
    import operator as o

    age, w, cr = _dec(r["age"]), _dec(r["weight_kg"]), _dec(r["creatinine"])
    levels = [x.strip().upper() for x in r["spine_levels"].split(";") if x.strip()]
    levels = list(dict.fromkeys(levels))
    spine = None if not levels else (len(levels) <= E["max_levels"]
                                     and all(x in E["allowed_levels"] for x in levels))
    sd = pd.Timestamp(r["screen_date"])
    lab = None if r["lab_date"] == "" else (sd - pd.Timestamp(r["lab_date"])).days
    liver, gil = _bool(r["liver_mets"]), _bool(r["gilbert"])

    def ul(v, uln, k):
        return _cmp(_dec(v), o.le, None if _dec(uln) is None else k * _dec(uln))

    astalt = _and(_or(ul(r["ast"], r["ast_uln"], E["ast_alt_max_uln"]),
                      _and(liver, ul(r["ast"], r["ast_uln"], E["ast_alt_max_uln_liver_mets"]))),
                  _or(ul(r["alt"], r["alt_uln"], E["ast_alt_max_uln"]),
                      _and(liver, ul(r["alt"], r["alt_uln"], E["ast_alt_max_uln_liver_mets"]))))
    bili = _or(ul(r["bilirubin"], r["bilirubin_uln"], E["bilirubin_max_uln"]),
               _and(gil, _cmp(_dec(r["bilirubin"]), o.lt, None if _dec(r["bilirubin_uln"]) is None
                              else E["bilirubin_below_uln_gilbert"] * _dec(r["bilirubin_uln"]))))
    cg = None
    if None not in (age, w, cr):
        num, need = (140 - age) * w, E["creatinine_clearance_min"] * 72 * cr
        f, m = num * Decimal("0.85") >= need, num >= need
        cg = {"F": f, "M": m}.get(r["sex"], f if f == m else None)
    renal = _or(ul(r["creatinine"], r["creatinine_uln"], E["creatinine_max_uln"]), cg)
    n = {k: _bool(r[k]) for k in ("histology_confirmed", "bone_pain", "sre_imaging_predictors",
                                  "transfused_14d", "childbearing_potential",
                                  "contraception_agreed", "pregnant_or_breastfeeding",
                                  "cord_compression_or_radicular_pain", "prior_rt_target",
                                  "surgical_candidate", "rfa_ineligible_lesion",
                                  "physician_excluded")}

    def neg(x):
        return None if x is None else not x

    res = {
        "age": _cmp(age, o.ge, E["min_age"]), "histology": n["histology_confirmed"],
        "spine_levels": spine, "pain_or_imaging": _or(n["bone_pain"], n["sre_imaging_predictors"]),
        "labs_recent": None if lab is None else 0 <= lab <= E["labs_max_age_days"],
        "anc": _cmp(_dec(r["anc"]), o.ge, E["anc_min"]),
        "platelets": _cmp(_dec(r["platelets"]), o.ge, E["platelets_min"]),
        "hemoglobin": _and(_cmp(_dec(r["hemoglobin"]), o.ge, E["hemoglobin_min"]),
                           neg(n["transfused_14d"])),
        "ast_alt": astalt, "bilirubin": bili,
        "albumin": _cmp(_dec(r["albumin"]), o.ge, E["albumin_min"]), "renal": renal,
        "contraception": _or(neg(n["childbearing_potential"]), n["contraception_agreed"]),
        "pregnant": neg(n["pregnant_or_breastfeeding"]),
        "cord_compression": neg(n["cord_compression_or_radicular_pain"]),
        "prior_rt": neg(n["prior_rt_target"]), "surgical_candidate": neg(n["surgical_candidate"]),
        "rfa_ineligible": neg(n["rfa_ineligible_lesion"]),
        "physician_excluded": neg(n["physician_excluded"]),
    }
    failed = ";".join(k for k, v in res.items() if v is False)
    unknown = ";".join(k for k, v in res.items() if v is None)
    status = "ineligible" if failed else ("incomplete" if unknown else "eligible")
    return status, failed, unknown


def test_eligibility_matches_pandas(big, capsys):
    got = cli(["eligibility", str(big), "--format", "csv"], capsys)
    s = pd.read_csv(big / "screening.csv", dtype=str, keep_default_na=False)
    as_of = pd.Timestamp("2026-11-16")
    s = s[pd.to_datetime(s["screen_date"]) <= as_of].sort_values("screening_id")
    exp = pd.DataFrame([eligibility_row(r, as_of) for r in s.to_dict("records")],
                       columns=["status", "failed", "unknown"])
    exp.insert(0, "screening_id", s["screening_id"].to_numpy())
    assert len(got) == len(exp) > 20000
    pd.testing.assert_frame_equal(got.reset_index(drop=True), exp.reset_index(drop=True))


def pandas_visits(big, as_of: pd.Timestamp) -> pd.DataFrame:
    r = pd.read_csv(big / "randomization.csv", dtype=str, keep_default_na=False)
    v = pd.read_csv(big / "visits.csv", dtype=str, keep_default_na=False)
    o = pd.read_csv(big / "offstudy.csv", dtype=str, keep_default_na=False)
    r = r[pd.to_datetime(r["randomization_date"]) <= as_of]
    o = o[pd.to_datetime(o["off_study_date"]) <= as_of].set_index("participant_id")
    v = v[(v["visit_date"] == "") | (pd.to_datetime(v["visit_date"].replace("", None)) <= as_of)]
    rec = {(a, int(m)): (s, d) for a, m, s, d in
           zip(v["participant_id"], v["visit_month"], v["status"], v["visit_date"], strict=True)}
    rows = []
    for pid, td in zip(r["participant_id"], r["treatment_date"], strict=True):
        off = pd.Timestamp(o.at[pid, "off_study_date"]) if pid in o.index else None
        for m in P.visit_months:
            if td == "":
                rows.append((pid, str(m), "", "", "", "", "unscheduled", ""))
                continue
            target = pd.Timestamp(td) + pd.DateOffset(months=m)
            before, after = P.windows[m]
            wo, wc = target - pd.Timedelta(days=before), target + pd.Timedelta(days=after)
            st, vd = rec.get((pid, m), (None, ""))
            days = ""
            if st == "missed":
                status = "missed"
            elif st == "completed":
                d = pd.Timestamp(vd)
                status = ("completed_early" if d < wo else "completed_late" if d > wc
                          else "completed")
            elif off is not None:
                status = "not_expected" if off <= wc else "missed"
            elif as_of < wo:
                status = "upcoming"
            elif as_of <= wc:
                status = "due"
            else:
                status, days = "overdue", str((as_of - wc).days)
            rows.append((pid, str(m), f"{target:%Y-%m-%d}", f"{wo:%Y-%m-%d}", f"{wc:%Y-%m-%d}",
                         vd, status, days))
    return pd.DataFrame(rows, columns=["participant_id", "visit_month", "target_date",
                                       "window_open", "window_close", "visit_date", "status",
                                       "days_overdue"])


def test_visits_and_overdue_match_pandas(big, capsys):
    as_of = pd.Timestamp("2026-09-30")
    got = cli(["visits", str(big), "--as-of", "2026-09-30", "--format", "csv"], capsys)
    exp = pandas_visits(big, as_of).sort_values(["participant_id", "visit_month"],
                                                key=lambda c: c.astype(int) if c.name ==
                                                "visit_month" else c)
    assert len(got) == len(exp) > 40000
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  exp.drop(columns="days_overdue").reset_index(drop=True))
    od = cli(["overdue", str(big), "--as-of", "2026-09-30", "--format", "csv"], capsys)
    e = exp[exp.status == "overdue"]
    assert sorted(zip(od.participant_id, od.visit_month, od.days_overdue, strict=True)) == \
        sorted(zip(e.participant_id, e.visit_month, e.days_overdue, strict=True))
    assert od.days_overdue.astype(int).is_monotonic_decreasing


def test_sre_matches_an_independent_aalen_johansen(big, capsys):
    got = cli(["sre", str(big), "--format", "csv"], capsys)
    as_of = pd.Timestamp("2026-11-16")
    r = pd.read_csv(big / "randomization.csv", dtype=str, keep_default_na=False)
    e = pd.read_csv(big / "sre_events.csv", dtype=str, keep_default_na=False)
    o = pd.read_csv(big / "offstudy.csv", dtype=str, keep_default_na=False)
    v = pd.read_csv(big / "visits.csv", dtype=str, keep_default_na=False)
    e = e[pd.to_datetime(e.event_date) <= as_of].groupby("participant_id").event_date.min()
    o = o[(o.reason == "death") & (pd.to_datetime(o.off_study_date) <= as_of)].set_index(
        "participant_id").off_study_date
    v = v[(v.status == "completed") & (pd.to_datetime(v.visit_date.replace("", None)) <= as_of)]
    last = v.groupby("participant_id").visit_date.max()
    for arm in P.arm_codes:
        part = r[r.arm == arm]
        t, s = [], []
        for pid, rd in zip(part.participant_id, part.randomization_date, strict=True):
            sre, death = e.get(pid), o.get(pid)
            if sre is not None and (death is None or sre <= death):
                end, st = sre, 1
            elif death is not None:
                end, st = death, 2
            else:
                end, st = last.get(pid, rd), 0
            t.append((pd.Timestamp(end) - pd.Timestamp(rd)).days / 30.4375)
            s.append(st)
        t, s = np.array(t), np.array(s)
        surv, cif, curve = 1.0, 0.0, {}
        for x in np.unique(t):
            n = (t >= x).sum()
            d1, d = ((t == x) & (s == 1)).sum(), ((t == x) & (s > 0)).sum()
            cif += surv * d1 / n
            surv *= 1 - d / n
            curve[x] = cif
        times = np.array(sorted(curve))
        g = got[got.arm == arm].set_index("month")
        for m in P.report_months:
            at_risk = int((t >= m).sum())
            assert int(g.loc[str(m), "at_risk"]) == at_risk
            if at_risk:
                want = curve[times[times <= m][-1]] if (times <= m).any() else 0.0
                assert float(g.loc[str(m), "cif"]) == pytest.approx(want, abs=1e-9)


def test_check_is_clean_at_scale(big, capsys):
    assert main(["check", str(big), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["table", "line", "column", "severity", "message"]]
