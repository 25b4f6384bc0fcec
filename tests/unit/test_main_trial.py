"""The main trial's size from the pilot's pooled data (spec: "Main-trial sample size"),
against values computed by hand; the settings' checks; who may see it."""

import datetime as dt
import math
from fractions import Fraction
from statistics import NormalDist

import pytest

from rfa_dash.analysis.main_trial import main_trial, main_trial_table, pace, sensitivity
from rfa_dash.analysis.sre import pooled_at, sre_analysis
from rfa_dash.blinding import BlindingError
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.protocol import ProtocolError, load_protocol
from tests.helpers import make_export, rand, screen, shipped_protocol

D = dt.date
ROLES = load_protocol().roles


def test_the_sample_by_hand():
    exp = open_export(SAMPLE_DIR)
    as_of = exp.default_as_of
    f, lower, _ = pooled_at(exp, as_of, 12)
    # F is the pooled estimate the pages show at 12 months
    pooled = sre_analysis(exp, as_of, ROLES["investigator"]).table
    assert f == pytest.approx(float(pooled.loc[pooled["month"] == 12, "cif"].iloc[0]))
    # d = ceil((1.959964 + 0.841621)^2 / (2/9 x ln(0.5)^2)) = ceil(73.51) = 74
    z = NormalDist().inv_cdf
    assert math.ceil((z(0.975) + z(0.8)) ** 2 / (2 / 9 * math.log(0.5) ** 2)) == 74
    t = main_trial_table(exp, as_of)
    assert t["events"] == [74, 74]
    n_est = math.ceil(math.ceil(74 / f) / 3) * 3
    n_low = math.ceil(math.ceil(74 / lower) / 3) * 3
    assert t["participants"] == [n_est, n_low] == [324, 741]
    assert t["experimental"] == [216, 494] and t["control"] == [108, 247]
    # the sample's funnel: 80 screened, 31 randomized by the data cut
    pc = pace(exp, as_of)
    assert (pc.screened, pc.randomized) == (80, 31)
    assert t["screened"] == [math.ceil(Fraction(324 * 80, 31)), math.ceil(Fraction(741 * 80, 31))]
    # sites = ceil(N / (r x 36)), r = 31 randomized / (days / 30.4375) months
    days = (as_of - D(2025, 3, 5)).days          # the protocol's accrual start
    assert pc.elapsed_days == days
    r = Fraction(31) / (Fraction(days) / Fraction("30.4375"))
    assert t["sites"] == [math.ceil(324 / (r * 36)), math.ceil(741 / (r * 36))] == [6, 14]
    assert t["reason"] == [None, None]


def test_not_computable_rows_say_why(tmp_path):
    # one participant, no SRE: F is 0 at 12 months (or nobody followed that long)
    exp = open_export(make_export(tmp_path / "e"), use_cache=False)
    t = main_trial_table(exp, D(2026, 6, 1))
    assert t["scenario"] == ["estimate", "lower"]
    assert t["participants"] == [None, None] and t["sites"] == [None, None]
    assert all(t["reason"])
    # nobody randomized
    empty = open_export(make_export(tmp_path / "n", randomization=[]), use_cache=False)
    t = main_trial_table(empty, D(2026, 6, 1))
    assert t["reason"] == ["nobody randomized yet"] * 2


def test_the_target_reached_ends_the_pace(tmp_path):
    # target 36 is not reached here; with a protocol of target 2 the second
    # randomization ends the elapsed time and the pace counts those two
    proto = shipped_protocol(trial={"target": 2}, accrual={"start": "2025-01-01"})
    people = [("P1", "2025-01-11"), ("P2", "2025-01-21"), ("P3", "2025-03-01")]
    folder = make_export(
        tmp_path / "e", screening=[screen(screening_id=f"S{p}") for p, _ in people],
        randomization=[rand(participant_id=p, screening_id=f"S{p}", randomization_date=d,
                            treatment_date=d) for p, d in people])
    exp = open_export(folder, protocol=proto, use_cache=False)
    pc = pace(exp, D(2025, 6, 1))
    assert (pc.randomized, pc.pace_randomized, pc.elapsed_days) == (3, 2, 20)


def test_sensitivity_falls_as_the_effect_grows():
    exp = open_export(SAMPLE_DIR)
    s = sensitivity(main_trial(exp, exp.default_as_of, ROLES["dsmb"]), exp.protocol.main_trial)
    est = [n for n, sc in zip(s["participants"], s["scenario"], strict=True) if sc == "estimate"]
    assert s["hr"][:3] == [0.4, 0.45, 0.5] and est == sorted(est)   # hr 0.4 needs fewest
    assert est[2] == 324                                            # hr 0.5: the table's


def test_who_may_see_it():
    exp = open_export(SAMPLE_DIR)
    assert main_trial(exp, exp.default_as_of, ROLES["investigator"])["events"] == [74, 74]
    with pytest.raises(BlindingError):
        main_trial(exp, exp.default_as_of, ROLES["coordinator"])


@pytest.mark.parametrize("setting,message", [
    ({"hr": 1}, "main_trial.hr must be a hazard ratio above 0 and not 1"),
    ({"hr": -0.5}, "main_trial.hr must be a hazard ratio above 0 and not 1"),
    ({"alpha": 1}, "main_trial.alpha must be in (0.0, 1.0)"),
    ({"power": 0}, "main_trial.power must be in (0.0, 1.0)"),
    ({"allocation": "2-1"}, "main_trial.allocation must be two whole numbers"),
    ({"horizon_months": 0}, "main_trial.horizon_months must be a whole number >= 1"),
    ({"size": 3}, "[main_trial] has no setting 'size'"),
])
def test_bad_main_trial_settings_are_one_line_naming_the_setting(setting, message):
    with pytest.raises(ProtocolError) as err:
        shipped_protocol(main_trial=setting)
    assert message in str(err.value) and "\n" not in str(err.value)
