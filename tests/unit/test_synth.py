"""The synthetic generator is deterministic, valid, realistic, and made the bundled sample."""

import json

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export

SAMPLE_ARGS = ["--patients", "30", "--seed", "20257"]  # as in `make sample`


def _bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    for d in ("a", "b"):
        assert main(["synth", "--out", str(tmp_path / d), "--patients", "25", "--seed", "7"]) == 0
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert main(["synth", "--out", str(tmp_path / "c"), "--patients", "25", "--seed", "8"]) == 0
    assert _bytes(tmp_path / "a") != _bytes(tmp_path / "c")


def test_bundled_sample_is_the_generator_output(tmp_path):
    assert main(["synth", "--out", str(tmp_path / "s"), *SAMPLE_ARGS]) == 0
    assert _bytes(tmp_path / "s") == _bytes(SAMPLE_DIR)


@pytest.mark.parametrize("patients,seed", [(30, 20257), (12, 1), (200, 99)])
def test_output_passes_check(tmp_path, patients, seed, capsys):
    out = tmp_path / "x"
    main(["synth", "--out", str(out), "--patients", str(patients), "--seed", str(seed)])
    assert main(["check", str(out), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip() == "table,line,column,severity,message"


def test_sample_is_realistic():
    exp = open_export(SAMPLE_DIR)
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["trial"] == "NCT07090122"
    as_of = exp.default_as_of
    funnel = exp.query("enrollment_funnel", as_of=as_of).set_index("stage")["n"]
    assert 70 <= funnel["screened"] <= 90 and 25 <= funnel["randomized"] <= 35
    el = exp.query("eligibility_status", as_of=as_of)
    failed = {c for f in el.failed for c in f.split(";") if c}
    assert len(failed) >= 8, failed  # screen failures for varied criteria
    assert (el.status == "incomplete").any()
    arms = exp.query("randomized_by_arm", as_of=as_of).set_index("arm")["n"]
    assert abs(arms["rfa_rt"] - 2 * arms["rt_alone"]) <= 2  # permuted blocks keep 2:1
    statuses = set(exp.query("visit_status_counts", as_of=as_of).status)
    assert {"completed", "completed_late", "completed_early", "missed", "overdue",
            "due", "upcoming", "unscheduled"} <= statuses
    reasons = exp.con.execute("SELECT reason, count(*) FROM stg_offstudy GROUP BY 1").fetchall()
    reasons = dict(reasons)
    assert reasons.get("withdrawal") == 1 and reasons.get("lost_to_follow_up") == 1
    assert reasons.get("death", 0) >= 1
    types = exp.con.execute("SELECT count(DISTINCT sre_type) FROM stg_sre_events").fetchall()
    assert types[0][0] >= 3
    ae = exp.con.execute("SELECT count(*), max(grade) FROM stg_adverse_events").fetchall()[0]
    assert ae[0] >= 10 and ae[1] >= 3


def test_sre_more_often_in_control_arm_at_scale(tmp_path):
    out = tmp_path / "big"
    main(["synth", "--out", str(out), "--patients", "600", "--seed", "3"])
    exp = open_export(out)
    rows = dict(exp.con.execute(
        "SELECT r.arm, count(DISTINCT e.participant_id) * 1.0 / count(DISTINCT r.participant_id)"
        " FROM stg_randomization r LEFT JOIN stg_sre_events e USING (participant_id)"
        " GROUP BY 1").fetchall())
    assert rows["rt_alone"] > 1.5 * rows["rfa_rt"]


def test_bad_synth_usage(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path), "--patients", "0", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--patients" in err
