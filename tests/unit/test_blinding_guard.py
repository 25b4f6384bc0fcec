"""One blinding guard: every function that can reveal allocation or outcomes takes the
Role and asks protocol.sees / protocol.require."""

import pytest

from rfa_dash.analysis import balance, cuts, eligibility, overview, safety, sre, visits
from rfa_dash.blinding import BlindingError, require, sees
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.protocol import load_protocol
from rfa_dash.report import build_report

ROLES = load_protocol().roles


@pytest.fixture(scope="module")
def exp():
    return open_export(SAMPLE_DIR)


def test_guard_answers_from_the_role_and_rejects_unknown_sights():
    c, i, d = ROLES["coordinator"], ROLES["investigator"], ROLES["dsmb"]
    assert [sees(c, s) for s in ("allocation", "outcomes", "outcomes_by_arm")] == [False] * 3
    assert [sees(i, s) for s in ("allocation", "outcomes", "outcomes_by_arm")] == [
        True, True, False]
    assert [sees(d, s) for s in ("allocation", "outcomes", "outcomes_by_arm")] == [True] * 3
    with pytest.raises(ValueError):
        sees(d, "arm")
    with pytest.raises(BlindingError, match="coordinator"):
        require(c, "outcomes")
    require(d, "allocation", "outcomes", "outcomes_by_arm")


@pytest.mark.parametrize("fn", [
    sre.sre_analysis, sre.components, sre.events_by_type, sre.event_listing, sre.swimmer,
    safety.safety, build_report])
def test_outcome_functions_refuse_the_coordinator(exp, fn):
    with pytest.raises(BlindingError):
        fn(exp, exp.default_as_of, ROLES["coordinator"])


@pytest.mark.parametrize("fn", [balance.allocation, balance.baseline_table,
                                balance.received_as_allocated])
def test_allocation_functions_refuse_the_coordinator(exp, fn):
    with pytest.raises(BlindingError):
        fn(exp, exp.default_as_of, ROLES["coordinator"])


def test_pooled_roles_get_no_arm(exp):
    a = exp.default_as_of
    inv = ROLES["investigator"]
    assert set(sre.sre_analysis(exp, a, inv).table["group"]) == {"all"}
    assert "arm" not in sre.event_listing(exp, a, inv).columns
    assert set(sre.swimmer(exp, a, inv)["group"]) == {"all"}
    assert set(sre.events_by_type(exp, a, inv)["group"]) <= {"all"}
    assert set(safety.safety(exp, a, inv).by_grade["group"]) == {"all"}
    dsmb = ROLES["dsmb"]
    assert set(sre.sre_analysis(exp, a, dsmb).table["group"]) == {"rfa_rt", "rt_alone"}


def test_coordinator_results_hold_no_allocation_or_outcome(exp):
    a, c = exp.default_as_of, ROLES["coordinator"]
    o = overview.overview(exp, a, c)
    assert o.by_arm is None and o.participants_with_sre is None and o.deaths is None
    assert "arms" not in eligibility.consort(exp, a, c)
    assert set(visits.retention(exp, a, c)["reason"]) == {"off study (any reason)"}
    ch = cuts.diff(cuts.cut_tables(exp, a), cuts.cut_tables(exp, a), c)
    assert ch["randomized_by_arm"].empty and ch["sre"].empty and ch["deaths"].empty
