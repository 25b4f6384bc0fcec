"""The safety stopping rule (spec: "Safety stopping rule"): every rule of which adverse
events count and when a participant becomes evaluable, computed by hand on small exports;
the boundary against the spec's example, its exact crossing probabilities against a
brute-force enumeration of every path and against a simulation; the settings' checks;
what each role sees."""

import datetime as dt
import itertools
import math

import numpy as np
import pytest

from rfa_dash.analysis.safety_rule import evaluable, safety_rule, safety_rule_table
from rfa_dash.blinding import BlindingError
from rfa_dash.ingest.export import open_export
from rfa_dash.protocol import ProtocolError, load_protocol
from rfa_dash.stats.safety_boundary import binomial_tails, boundary, crossing, design, oc_rates
from tests.helpers import make_export, rand, screen, shipped_protocol

D = dt.date
ROLES = load_protocol().roles


def _export(tmp_path, participants, aes=(), off=()):
    """``participants``: (id, arm, treatment_date, received_allocated)."""
    screening = [screen(screening_id=f"S{pid}") for pid, *_ in participants]
    randomization = [rand(participant_id=pid, screening_id=f"S{pid}", arm=arm,
                          randomization_date="2025-01-02", treatment_date=tdate,
                          received_allocated=rec)
                     for pid, arm, tdate, rec in participants]
    ae = [{"participant_id": pid, "onset_date": onset, "term": "Pain", "grade": str(g),
           "serious": "no", "related": rel} for pid, onset, g, rel in aes]
    offs = [{"participant_id": pid, "off_study_date": day, "reason": reason}
            for pid, day, reason in off]
    return open_export(make_export(tmp_path / "e", screening=screening,
                                   randomization=randomization, adverse_events=ae,
                                   offstudy=offs), use_cache=False)


def _path(exp, as_of):
    ev = evaluable(exp, as_of)
    return list(zip(ev.ids, ev.days, ev.outcomes, strict=True))


def test_which_adverse_events_count(tmp_path):
    # treatment 2025-02-01 for all, window 30 days: up to 2025-03-03
    people = [(f"P{i}", "rfa_rt", "2025-02-01", "true") for i in range(1, 9)]
    aes = [("P1", "2025-02-10", 3, "yes"),     # counts: grade 3, related, in the window
           ("P2", "2025-02-10", 2, "yes"),     # grade 2: no
           ("P3", "2025-02-10", 4, "no"),      # not related: no
           ("P4", "2025-02-10", 3, ""),        # related missing is not true: no
           ("P5", "2025-03-04", 5, "yes"),     # the day after the window: no
           ("P6", "2025-03-03", 3, "yes"),     # the window's last day: counts
           ("P7", "2025-01-25", 3, "yes"),     # before treatment (not emergent): no
           ("P8", "2025-02", 3, "yes")]        # partial: imputed to 2025-02-01 (treatment)
    exp = _export(tmp_path, people, aes)
    got = {pid: (day, out) for pid, day, out in _path(exp, D(2025, 6, 1))}
    window_end = D(2025, 3, 3)
    assert got == {"P1": (D(2025, 2, 10), 1), "P2": (window_end, 0), "P3": (window_end, 0),
                   "P4": (window_end, 0), "P5": (window_end, 0), "P6": (D(2025, 3, 3), 1),
                   "P7": (window_end, 0), "P8": (D(2025, 2, 1), 1)}


def test_who_is_monitored_and_when_they_become_evaluable(tmp_path):
    people = [("A", "rfa_rt", "2025-02-01", "true"),
              ("B", "rt_alone", "2025-02-01", "true"),    # the other arm: not monitored
              ("C", "rfa_rt", "2025-02-01", "false"),     # did not receive it: no
              ("D", "rfa_rt", "2025-02-01", ""),          # not recorded: not false, counts
              ("E", "rfa_rt", "", "true"),                # no treatment date: no
              ("F", "rfa_rt", "2025-02-01", "true"),      # died before the window closed
              ("G", "rfa_rt", "2025-02-01", "true"),      # withdrew before it closed
              ("H", "rfa_rt", "2025-02-01", "true"),      # withdrew, but an AE came first
              ("I", "rfa_rt", "2025-03-20", "true"),      # window still open at the cut
              ("J", "rfa_rt", "2025-02-01", "true")]      # died on the window's last day
    aes = [("H", "2025-02-05", 3, "yes")]
    off = [("F", "2025-02-15", "death"), ("G", "2025-02-10", "withdrawal"),
           ("H", "2025-02-20", "withdrawal"), ("J", "2025-03-03", "death")]
    exp = _export(tmp_path, people, aes, off)
    # path order: the day each became evaluable, then the ID
    assert _path(exp, D(2025, 4, 1)) == [
        ("H", D(2025, 2, 5), 1), ("F", D(2025, 2, 15), 0),
        ("A", D(2025, 3, 3), 0), ("D", D(2025, 3, 3), 0), ("J", D(2025, 3, 3), 0)]
    # a window closes only when its last day is before the data cut
    assert [p[0] for p in _path(exp, D(2025, 3, 3))] == ["H", "F"]
    assert [p[0] for p in _path(exp, D(2025, 3, 4))] == ["H", "F", "A", "D", "J"]
    # an AE after the data cut is not known yet
    assert _path(exp, D(2025, 2, 4)) == []


def test_the_path_crosses_and_says_when(tmp_path):
    # defaults: r(1..3) = 1, so a second event among the first three crosses
    people = [(f"P{i}", "rfa_rt", f"2025-02-0{i}", "true") for i in range(1, 5)]
    aes = [("P1", "2025-02-03", 3, "yes"), ("P3", "2025-02-10", 4, "yes")]
    exp = _export(tmp_path, people, aes)
    t = safety_rule_table(exp, D(2025, 2, 20))
    # P1 evaluable 02-03 (event), P3 02-10 (event); P2 and P4 windows open at the cut
    assert t["k"][:3] == [1, 2, 3] and len(t["k"]) == 24
    assert t["events"][:3] == [1, 2, None]
    assert t["date"][:2] == [D(2025, 2, 3), D(2025, 2, 10)]
    assert t["status"][:3] == ["ok", "crossed", None]
    r = safety_rule(exp, D(2025, 2, 20), ROLES["dsmb"])
    assert (r.status.status, r.status.k, r.status.date) == ("crossed", 2, D(2025, 2, 10))
    assert r.path is not None and r.path["participant_id"][:2] == ["P1", "P3"]
    # the open role: the status and its day, nothing counted (not even k)
    o = safety_rule(exp, D(2025, 2, 20), ROLES["investigator"])
    assert o.path is None
    assert (o.status.status, o.status.k, o.status.date, o.status.evaluable) == (
        "crossed", None, D(2025, 2, 10), None)
    with pytest.raises(BlindingError):
        safety_rule(exp, D(2025, 2, 20), ROLES["coordinator"])


def test_complete_and_rows_beyond_n_max(tmp_path):
    proto = shipped_protocol(safety_rule={"n_max": 3})
    people = [(f"P{i}", "rfa_rt", "2025-02-01", "true") for i in range(1, 6)]
    folder = make_export(tmp_path / "e",
                         screening=[screen(screening_id=f"S{p[0]}") for p in people],
                         randomization=[rand(participant_id=p[0], screening_id=f"S{p[0]}",
                                             treatment_date=p[2]) for p in people])
    exp = open_export(folder, protocol=proto, use_cache=False)
    t = safety_rule_table(exp, D(2025, 6, 1))
    assert t["k"] == [1, 2, 3, 4, 5]
    assert t["max_events"] == [1, 1, 1, None, None]     # empty beyond n_max
    assert t["events"] == [0, 0, 0, 0, 0] and t["status"] == ["ok"] * 5
    assert safety_rule(exp, D(2025, 6, 1), ROLES["dsmb"]).status.status == "complete"


def test_the_boundary_of_the_spec_example():
    b = design(0.10, 24, 0.10)
    crosses_at = {k: int(b.max_events[k - 1]) + 1 for k in range(1, 25)}
    # "stop at 2 of the first 3, 3 of 8, 4 of 14, 5 of 21, 6 of 24"
    assert [crosses_at[k] for k in (1, 2, 3)] == [2, 2, 2]
    assert [crosses_at[k] for k in (4, 8)] == [3, 3]
    assert [crosses_at[k] for k in (9, 14)] == [4, 4]
    assert [crosses_at[k] for k in (15, 21)] == [5, 5]
    assert [crosses_at[k] for k in (22, 24)] == [6, 6]
    assert b.crossing_probability <= 0.10


def _brute_force(max_events, p):
    """Crossing probability and expected n by every one of the 2^n paths."""
    n = len(max_events)
    cross = expected = 0.0
    for path in itertools.product((0, 1), repeat=n):
        prob = math.prod(p if x else 1 - p for x in path)
        x = np.cumsum(path)
        hit = next((k for k in range(1, n + 1) if x[k - 1] > max_events[k - 1]), None)
        cross += prob if hit else 0.0
        expected += prob * (hit or n)
    return cross, expected


@pytest.mark.parametrize("p0,n,alpha", [(0.10, 12, 0.10), (0.20, 10, 0.05), (0.05, 14, 0.2)])
def test_exact_crossing_against_every_path(p0, n, alpha):
    b = design(p0, n, alpha)
    for p in (p0, 0.3, 0.5):
        want = _brute_force(b.max_events, p)
        got = crossing(b.max_events, p)[:2]
        assert got == pytest.approx(want, rel=1e-12)
    # the level is the largest candidate whose crossing probability stays within alpha
    tails = binomial_tails(n, p0)
    bigger = sorted(v for v in set(tails[1:].ravel().tolist()) if v > b.level)
    if bigger:
        assert crossing(boundary(tails, bigger[0]), p0)[0] > alpha
    assert b.crossing_probability <= alpha


def test_exact_crossing_against_a_simulation():
    b = design(0.10, 24, 0.10)
    rng = np.random.default_rng(20261206)
    for p in (0.10, 0.30):
        sims = 40_000
        events = rng.random((sims, 24)) < p
        x = np.cumsum(events, axis=1)
        hit = (x > b.max_events[None, :]).any(axis=1)
        est = hit.mean()
        se = math.sqrt(est * (1 - est) / sims)
        assert abs(est - crossing(b.max_events, p)[0]) < 4 * se


def test_operating_characteristic_rates():
    assert oc_rates(0.1, 0.3) == [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
    assert oc_rates(0.12, 0.3)[:3] == [0.05, 0.1, 0.12]


@pytest.mark.parametrize("setting,message", [
    ({"p0": 0.3, "p1": 0.2}, "safety_rule.p0 (0.3) must be below safety_rule.p1 (0.2)"),
    ({"alpha": 1.5}, "safety_rule.alpha must be in (0.0, 1.0)"),
    ({"alpha": 0}, "safety_rule.alpha must be in (0.0, 1.0)"),
    ({"arm": "surgery"}, "safety_rule.arm is not an arm of the trial: 'surgery'"),
    ({"min_grade": 6}, "safety_rule.min_grade must be a CTCAE grade 1-5"),
    ({"n_max": 0}, "safety_rule.n_max must be a whole number >= 1"),
    ({"window": 30}, "[safety_rule] has no setting 'window'"),
])
def test_bad_safety_settings_are_one_line_naming_the_setting(setting, message):
    with pytest.raises(ProtocolError) as err:
        shipped_protocol(safety_rule=setting)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_n_max_default_is_the_target_times_the_arms_share():
    p = load_protocol()
    assert p.safety_rule.arm == "rfa_rt" and p.safety_rule.n_max == 24   # 36 x 2/3


def test_synth_plants_a_crossing_for_one_seed(tmp_path):
    from rfa_dash.synth import CROSSING_SEED, synth

    synth(tmp_path / "x", 30, CROSSING_SEED)
    exp = open_export(tmp_path / "x", use_cache=False)
    r = safety_rule(exp, exp.default_as_of, ROLES["dsmb"])
    assert r.status.status == "crossed" and r.status.k is not None
    # the bundled sample (another seed) does not cross
    from rfa_dash.ingest.export import SAMPLE_DIR

    sample = open_export(SAMPLE_DIR)
    assert safety_rule(sample, sample.default_as_of, ROLES["dsmb"]).status.status == "continue"


def test_the_open_report_and_page_count_nothing_of_the_rule(tmp_path):
    # an export whose rule is crossed: the open report states the day, never a count
    from rfa_dash.report.build import build_report
    from rfa_dash.synth import CROSSING_SEED, synth

    synth(tmp_path / "x", 30, CROSSING_SEED)
    exp = open_export(tmp_path / "x", use_cache=False)
    closed = safety_rule(exp, exp.default_as_of, ROLES["dsmb"])
    opened = build_report(exp, exp.default_as_of, ROLES["investigator"])
    section = opened.split("id='safety-rule'", 1)[1].split("id='main-trial'", 1)[0]
    assert "was crossed on" in section
    assert "Events among the first k" not in section and "evaluable participant:" not in section
    assert f"at the {closed.status.k}" not in section
    full = build_report(exp, exp.default_as_of, ROLES["dsmb"], masked=False)
    assert "Events among the first k" in full


def test_partial_onset_dates_are_imputed_not_before_treatment(tmp_path):
    people = [("A", "rfa_rt", "2025-02-10", "true"), ("B", "rfa_rt", "2025-02-10", "true"),
              ("C", "rfa_rt", "2025-02-10", "true")]
    aes = [("A", "2025-02", 3, "yes"),     # the month holds treatment: 2025-02-10, counts
           ("B", "2025-01", 3, "yes"),     # all of it before treatment: 2025-01-01, no
           ("C", "2025", 3, "yes")]        # the year holds treatment: 2025-02-10, counts
    exp = _export(tmp_path, people, aes)
    assert _path(exp, D(2025, 6, 1)) == [("A", D(2025, 2, 10), 1), ("C", D(2025, 2, 10), 1),
                                         ("B", D(2025, 3, 12), 0)]
