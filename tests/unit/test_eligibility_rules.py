"""Eligibility criteria at their exact boundaries, on both sides, and their unknown paths.

Expected values are worked out by hand from the spec's table (thresholds from
the reference protocol file)."""

import datetime as dt

import pytest

from rfa_dash.analysis import eligibility as el
from rfa_dash.ingest.export import open_export
from tests.helpers import make_export, screen

AS_OF = dt.date(2026, 1, 1)

CASES = [
    # criterion, overrides, expected
    ("age", dict(age=18), "pass"),
    ("age", dict(age=17), "fail"),
    ("age", dict(age=None), "unknown"),
    ("histology", dict(histology_confirmed="no"), "fail"),
    ("histology", dict(histology_confirmed=None), "unknown"),
    ("spine_levels", dict(spine_levels="T5;L5"), "pass"),
    ("spine_levels", dict(spine_levels=" t12 ; l1 "), "pass"),
    ("spine_levels", dict(spine_levels="T4"), "fail"),
    ("spine_levels", dict(spine_levels="S1"), "fail"),
    ("spine_levels", dict(spine_levels="T8;T9;T10"), "fail"),
    ("spine_levels", dict(spine_levels=None), "unknown"),
    ("spine_levels", dict(spine_levels="T7-T9"), "unknown"),
    ("pain_or_imaging", dict(bone_pain="no", sre_imaging_predictors="yes"), "pass"),
    ("pain_or_imaging", dict(bone_pain="no", sre_imaging_predictors="no"), "fail"),
    ("pain_or_imaging", dict(bone_pain=None, sre_imaging_predictors="no"), "unknown"),
    ("pain_or_imaging", dict(bone_pain=None, sre_imaging_predictors="yes"), "pass"),
    ("labs_recent", dict(lab_date="2024-12-27"), "pass"),     # 14 days before 2025-01-10
    ("labs_recent", dict(lab_date="2024-12-26"), "fail"),     # 15 days
    ("labs_recent", dict(lab_date="2025-01-10"), "pass"),     # same day
    ("labs_recent", dict(lab_date="2025-01-11"), "fail"),     # after screening
    ("labs_recent", dict(lab_date=None), "unknown"),
    ("anc", dict(anc="1.5"), "pass"),
    ("anc", dict(anc="1.49"), "fail"),
    ("platelets", dict(platelets="50"), "pass"),
    ("platelets", dict(platelets="49.9"), "fail"),
    ("hemoglobin", dict(hemoglobin="10"), "pass"),
    ("hemoglobin", dict(hemoglobin="9.9"), "fail"),
    ("hemoglobin", dict(hemoglobin="12", transfused_14d="yes"), "fail"),
    ("hemoglobin", dict(hemoglobin="12", transfused_14d=None), "unknown"),
    ("hemoglobin", dict(hemoglobin="9", transfused_14d=None), "fail"),
    ("ast_alt", dict(ast="120", ast_uln="40"), "pass"),                        # 3.0 x ULN
    ("ast_alt", dict(ast="120.1", ast_uln="40"), "fail"),
    ("ast_alt", dict(alt="121", alt_uln="40"), "fail"),
    ("ast_alt", dict(ast="200", ast_uln="40", liver_mets="yes"), "pass"),     # 5.0 x ULN
    ("ast_alt", dict(ast="201", ast_uln="40", liver_mets="yes"), "fail"),
    ("ast_alt", dict(ast="150", ast_uln="40", liver_mets=None), "unknown"),   # 3.75 x
    ("ast_alt", dict(ast="100", ast_uln="40", liver_mets=None), "pass"),      # 2.5 x
    ("ast_alt", dict(ast="210", ast_uln="40", liver_mets=None), "fail"),      # 5.25 x
    ("ast_alt", dict(ast_uln=None), "unknown"),
    ("bilirubin", dict(bilirubin="1.8", bilirubin_uln="1.2"), "pass"),        # exactly 1.5 x
    ("bilirubin", dict(bilirubin="1.81", bilirubin_uln="1.2"), "fail"),
    ("bilirubin", dict(bilirubin="2.39", bilirubin_uln="1.2", gilbert="yes"), "pass"),
    ("bilirubin", dict(bilirubin="2.4", bilirubin_uln="1.2", gilbert="yes"), "fail"),  # < 2x
    ("bilirubin", dict(bilirubin="2.0", bilirubin_uln="1.2", gilbert=None), "unknown"),
    ("bilirubin", dict(bilirubin="1.0", bilirubin_uln="1.2", gilbert=None), "pass"),
    ("albumin", dict(albumin="30"), "pass"),
    ("albumin", dict(albumin="29.9"), "fail"),
    # renal: creatinine branch, 1.8 = 1.5 x 1.2 passes
    ("renal", dict(creatinine="1.8", creatinine_uln="1.2"), "pass"),
    # Cockcroft-Gault branch, M age 60: (140-60)*81/(72*2.0) = 45.0 exactly -> pass
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg="81"), "pass"),
    # (140-60)*80.9/144 = 44.94 -> fail (and creatinine 1.67 x ULN fails)
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg="80.9"), "fail"),
    # F: 45.0 * 0.85 = 38.25 -> fail; F needs weight 95.3: 80*95.3*0.85/144 = 45.003 -> pass
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg="81", sex="F"), "fail"),
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg="95.3", sex="F"), "pass"),
    # sex unknown: M would pass (45.0), F would fail (38.25) -> unknown
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg="81", sex=None), "unknown"),
    # sex unknown but both pass: 80*100*0.85/144 = 47.2 -> pass
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg="100", sex=None), "pass"),
    ("renal", dict(creatinine="2.0", creatinine_uln="1.2", weight_kg=None), "unknown"),
    ("renal", dict(creatinine="1.5", creatinine_uln=None, weight_kg=None), "unknown"),
    ("renal", dict(creatinine="1.5", creatinine_uln=None, weight_kg="70"), "pass"),  # CG 51.9
    ("contraception", dict(childbearing_potential="yes", contraception_agreed="no"), "fail"),
    ("contraception", dict(childbearing_potential="yes", contraception_agreed="yes"), "pass"),
    ("contraception", dict(childbearing_potential="yes", contraception_agreed=None), "unknown"),
    ("contraception", dict(childbearing_potential="no", contraception_agreed=None), "pass"),
    ("pregnant", dict(pregnant_or_breastfeeding="yes"), "fail"),
    ("cord_compression", dict(cord_compression_or_radicular_pain="yes"), "fail"),
    ("prior_rt", dict(prior_rt_target="yes"), "fail"),
    ("surgical_candidate", dict(surgical_candidate="yes"), "fail"),
    ("rfa_ineligible", dict(rfa_ineligible_lesion="yes"), "fail"),
    ("physician_excluded", dict(physician_excluded="yes"), "fail"),
    ("physician_excluded", dict(physician_excluded=None), "unknown"),
]


@pytest.fixture(scope="module")
def detail(tmp_path_factory):
    rows = [screen(screening_id=f"S{i:03d}", **kw) for i, (_, kw, _) in enumerate(CASES)]
    exp = open_export(make_export(tmp_path_factory.mktemp("elig"), screening=rows,
                                  randomization=[]))
    assert exp.n_errors == 0, exp.problems.to_string()
    return el.detail(exp, AS_OF).set_index("screening_id"), \
        exp.query("eligibility_status", as_of=AS_OF).set_index("screening_id")


@pytest.mark.parametrize("i", range(len(CASES)),
                         ids=[f"{c}-{e}-{i}" for i, (c, _, e) in enumerate(CASES)])
def test_criterion(detail, i):
    crit, _, expected = CASES[i]
    table, status = detail
    row = table.loc[f"S{i:03d}"]
    assert row[crit] == expected
    others = [c for c in status.columns]
    assert others == ["status", "failed", "unknown"]
    # every other criterion of the base row passes, so the status follows this one
    st = status.loc[f"S{i:03d}"]
    want = {"pass": ("eligible", "", ""), "fail": ("ineligible", crit, ""),
            "unknown": ("incomplete", "", crit)}[expected]
    assert (st.status, st.failed, st.unknown) == want


def test_computed_values(detail):
    table, _ = detail
    base = table.loc["S000"]
    assert base["ast_x_uln"] == pytest.approx(30 / 40)
    # M, age 18 (case 0), 70 kg, creatinine 0.9: (140-18)*70/(72*0.9)
    assert base["creatinine_clearance"] == pytest.approx(122 * 70 / 64.8)
    assert base["lab_age_days"] == 5


def test_failed_and_unknown_lists_keep_spec_order(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[
        screen(physician_excluded="yes", age=16, anc=None, albumin="10")], randomization=[]))
    st = exp.query("eligibility_status", as_of=AS_OF).iloc[0]
    assert (st.status, st.failed, st.unknown) == ("ineligible", "age;albumin;physician_excluded",
                                                  "anc")


def test_as_of_hides_later_screens_and_consents(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[
        screen(), screen(screening_id="S002", screen_date="2025-03-01", lab_date="2025-02-25",
                         consent_date="2025-03-02")], randomization=[]))
    f = exp.query("enrollment_funnel", as_of=dt.date(2025, 1, 10)).set_index("stage")["n"]
    assert (f["screened"], f["eligible"], f["consented"]) == (1, 1, 0)  # consent on 01-11
    f = exp.query("enrollment_funnel", as_of=dt.date(2025, 3, 1)).set_index("stage")["n"]
    assert (f["screened"], f["eligible"], f["consented"]) == (2, 2, 1)
