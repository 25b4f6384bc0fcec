"""Protocol deviations (optional table, spec): validated like every table, carried by data
cuts and by the REDCap form."""

import datetime as dt

from rfa_dash.analysis import cuts
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.ingest.redcap.importer import import_folder
from tests.helpers import make_export


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
    path = cuts.save_cut(exp, dt.date(2026, 6, 1), tmp_path / "cuts")
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
