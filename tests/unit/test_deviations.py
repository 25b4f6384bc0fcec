"""Protocol deviations (optional table, spec): validated like every table, carried by data
cuts and by the REDCap form."""

import datetime as dt

from rfa_dash.analysis import cuts
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.ingest.redcap.importer import import_folder
from rfa_dash.state import cuts as stored
from tests.helpers import make_export, rand, screen


def _write(folder, text):
    (folder / "deviations.csv").write_text(
        "participant_id,deviation_date,category,important,description\n" + text)


def test_deviations_are_validated(tmp_path):
    folder = make_export(tmp_path / "e")
    _write(folder, "001,2025-02-01,visit_window,no,late\n"
                   "999,2025-02-01,consent,yes,\n"          # not randomized
                   "001,2025-02-30,treatment,yes,\n"        # no such day
                   "001,2025-03-01,,maybe,\n"               # no category; important not a bool
                   "001,2024-12-01,eligibility,yes,ineligible at randomization\n")
    exp = open_export(folder)
    p = exp.problems[exp.problems["table"] == "deviations"]
    assert sorted(zip(p["line"], p["column"], strict=True)) == [
        (3, "participant_id"), (4, "deviation_date"), (5, "category"), (5, "important")]
    rows = exp.con.execute("SELECT deviation_date, category, important FROM stg_deviations "
                           "ORDER BY _line").fetchall()
    # a deviation before randomization is kept (an ineligible patient randomized)
    assert rows == [(dt.date(2025, 2, 1), "visit_window", False),
                    (dt.date(2024, 12, 1), "eligibility", True)]


def test_export_without_deviations_loads_as_before(tmp_path):
    folder = make_export(tmp_path / "e")   # no deviations.csv
    exp = open_export(folder)
    assert exp.problems.empty and exp.files["deviations"] is None


def test_cuts_carry_deviations_and_open_as_an_export(tmp_path):
    import pyarrow.parquet as pq

    exp = open_export(SAMPLE_DIR)
    assert exp.con.execute("SELECT count(*) FROM stg_deviations").fetchone()[0] == 6
    saved = cuts.save_cut(exp, dt.date(2026, 6, 1))
    path = stored.export(saved.name, tmp_path / "cut")
    dev = pq.read_table(path / "deviations.parquet").to_pandas()
    assert len(dev) == 3 and (dev["deviation_date"] <= dt.date(2026, 6, 1)).all()
    cut = open_export(path)          # a cut is an export of its own
    assert cut.problems.empty
    assert cut.con.execute("SELECT count(*) FROM stg_deviations").fetchone()[0] == 3


def test_bundled_redcap_sample_carries_the_deviations():
    imp = import_folder(SAMPLE_DIR / "redcap")
    dev = {c: v.to_pylist() for c, v in imp.tables["deviations"].items()}
    rows = sorted(zip(dev["deviation_date"], dev["category"], dev["important"], strict=True))
    assert rows == [("2026-01-05", "assessment", "0"), ("2026-03-03", "other", "0"),
                    ("2026-05-15", "eligibility", "1"), ("2026-06-18", "visit_window", "0"),
                    ("2026-08-01", "visit_window", "0"), ("2026-10-26", "visit_window", "0")]


def _three_randomized(tmp_path):
    """001 and 002 on RFA/BA + RT, 003 on RT alone; five deviations, one after the cut."""
    folder = make_export(
        tmp_path / "e", screening=[screen(screening_id=f"S00{i}") for i in (1, 2, 3)],
        randomization=[rand(participant_id=f"00{i}", screening_id=f"S00{i}",
                            arm="rt_alone" if i == 3 else "rfa_rt") for i in (1, 2, 3)])
    _write(folder, "001,2025-02-01,visit_window,false,late\n"
                   "001,2025-03-01,visit_window,true,visit missed\n"
                   "002,2025-02-10,consent,true,old consent form\n"
                   "003,2025-02-05,visit_window,false,early\n"
                   "003,2025-06-01,treatment,true,after the cut\n")
    return open_export(folder)


def test_deviations_by_category_and_important_ones_by_hand(tmp_path):
    import pytest

    from rfa_dash.analysis.deviations import deviations
    from rfa_dash.blinding import BlindingError
    from rfa_dash.protocol import load_protocol

    roles = load_protocol().roles
    exp = _three_randomized(tmp_path)
    cut = dt.date(2025, 5, 1)
    d = deviations(exp, cut, roles["dsmb"])
    assert d.total == 4 and d.has_table   # the treatment deviation is after the cut
    rows = d.by_category.values.tolist()
    assert rows == [["rfa_rt", "consent", 1, 1, 1], ["rfa_rt", "visit_window", 2, 1, 1],
                    ["rfa_rt", "All categories", 3, 2, 2],
                    ["rt_alone", "consent", 0, 0, 0], ["rt_alone", "visit_window", 1, 1, 0],
                    ["rt_alone", "All categories", 1, 1, 0]]
    assert d.important[["participant_id", "category", "arm"]].values.tolist() == [
        ["002", "consent", "rfa_rt"], ["001", "visit_window", "rfa_rt"]]
    # pooled for the open role, and its listing names no participant
    d = deviations(exp, cut, roles["investigator"])
    assert d.by_category.values.tolist() == [["all", "consent", 1, 1, 1],
                                             ["all", "visit_window", 3, 2, 1],
                                             ["all", "All categories", 4, 3, 2]]
    assert d.important["participant_id"].tolist() == ["#1", "#2"]
    assert "arm" not in d.important
    with pytest.raises(BlindingError):
        deviations(exp, cut, roles["coordinator"])


def test_monthly_vs_planned_by_hand():
    from types import SimpleNamespace

    import pandas as pd

    from rfa_dash.present.enrollment import monthly_vs_planned

    # planned pace 0 -> 36 over 360 days from 2025-01-01: 0.1 a day
    acc = SimpleNamespace(
        monthly=pd.DataFrame({"month": [dt.date(2025, 1, 1), dt.date(2025, 2, 1),
                                        dt.date(2025, 3, 1)], "randomized": [2, 0, 3]}),
        planned=pd.DataFrame({"date": [dt.date(2025, 1, 1), dt.date(2025, 12, 27)],
                              "planned": [0, 36]}))
    t = monthly_vs_planned(acc)
    # month ends 2025-01-31 (30 days in), 02-28 (58), 03-31 (89)
    assert t.values.tolist() == [["2025-01", 2, 2, "3.0"], ["2025-02", 0, 2, "5.8"],
                                 ["2025-03", 3, 5, "8.9"]]
