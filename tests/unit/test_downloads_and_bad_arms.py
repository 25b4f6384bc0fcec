"""Downloads meant for spreadsheets neutralize formulas; a bad arm value never reaches a role
blind to allocation."""

import datetime as dt
import io
from contextlib import redirect_stdout

import pandas as pd

from rfa_dash.analysis import quality, visits
from rfa_dash.cli import main
from rfa_dash.ingest.export import open_export
from rfa_dash.present.enrollment import criteria_csv
from rfa_dash.present.spreadsheet import spreadsheet_csv
from rfa_dash.present.visits import worklist_csv
from rfa_dash.protocol import load_protocol
from tests.helpers import make_export, rand, screen

ROLES = load_protocol().roles
EVIL = '=HYPERLINK("http://evil.example","x")'


def test_formula_cells_get_a_quote_and_nothing_else_changes():
    df = pd.DataFrame({"text": ["=1+1", "+1", "-x", "@SUM(A1)", "\tx", "\rx", "a=b", "", None],
                       "n": [-3, 1, 2, 3, 4, 5, 6, 7, 8]})
    lines = spreadsheet_csv(df).decode().splitlines()
    assert lines[1:5] == ["'=1+1,-3", "'+1,1", "'-x,2", "'@SUM(A1),3"]
    assert lines[5].startswith('"\'\tx"') or lines[5].startswith("'\tx")
    assert "a=b,6" in lines and ",7" in lines and ",8" in lines  # plain text, empty, missing
    assert df.at[0, "text"] == "=1+1"  # the frame itself is left alone


def test_worklist_and_criteria_downloads_neutralize_planted_ids(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[screen(screening_id="@S1")],
                                  randomization=[rand(participant_id=EVIL, screening_id="@S1")]))
    assert exp.n_errors == 0, exp.problems.to_string()
    as_of = dt.date(2025, 12, 1)
    work = visits.worklist(exp, as_of)
    text = worklist_csv(work).decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    crit = criteria_csv(exp, as_of).decode()
    assert "\n'@S1," in crit
    # the command line stays verbatim (the data contract)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["visits", str(exp.folder), "--as-of", "2025-12-01", "--format", "csv"]) == 0
    assert '"=HYPERLINK(""http://evil.example"",""x"")"' in out.getvalue()


def test_bad_arm_values_are_hidden_from_roles_blind_to_allocation(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[screen(), screen(screening_id="S2")],
                                  randomization=[rand(arm="rfa-rt"),
                                                 rand(participant_id="002", screening_id="S2",
                                                      arm="RT alone")]))
    shown, _ = quality.visible_problems(exp.problems, ROLES["coordinator"])
    arm = shown[shown["column"] == "arm"]
    assert len(arm) == 2 and arm["value"].isna().all()
    flat = shown.astype(str).to_string()
    assert "rfa-rt" not in flat and "RT alone" not in flat
    assert all("hidden from this role" in m and "row left out" in m for m in arm["message"])
    assert quality.hidden_arm_values(exp.problems, ROLES["coordinator"]) == 2
    # the text search of the Data quality page finds nothing by the hidden value
    assert quality.shown_problems(exp, ROLES["coordinator"], text="rfa-rt").empty
    # the open role sees allocation as counts only: a problem names its record, so a
    # value beside it would give that participant's arm (and, with the pooled listings,
    # outcomes by arm); hidden too
    inv, _ = quality.visible_problems(exp.problems, ROLES["investigator"])
    assert inv.loc[inv["column"] == "arm", "value"].isna().all()
    assert "RT alone" not in inv.astype(str).to_string()
    assert quality.hidden_arm_values(exp.problems, ROLES["investigator"]) == 2
    # the DSMB, which sees outcomes by arm, reads them as they are
    dsmb, _ = quality.visible_problems(exp.problems, ROLES["dsmb"])
    assert set(dsmb.loc[dsmb["column"] == "arm", "value"]) == {"rfa-rt", "RT alone"}
    assert quality.hidden_arm_values(exp.problems, ROLES["dsmb"]) == 0


def test_a_redcap_arm_fields_problems_are_hidden_like_the_arms(tmp_path):
    """A REDCap project gives the arm from a field of its own name (the sample: rand_arm);
    its problems are told under that name, so hiding by the column "arm" alone would show
    the coordinator a value that tells the arm. The Export names the field; the guard
    hides it too."""
    import csv

    from rfa_dash.ingest.export import SAMPLE_DIR
    from rfa_dash.ingest.redcap.generate import to_redcap

    rc = tmp_path / "rc"
    to_redcap(SAMPLE_DIR, rc)
    path = rc / "redcap_records.csv"
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index("rand_arm")
    first = next(r for r in rows[1:] if r[col])
    first[col] = "RT alone"   # a label where a code belongs: tells the arm
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    exp = open_export(rc)
    assert exp.arm_fields == ("rand_arm",)
    assert (exp.problems["column"] == "rand_arm").any()
    shown, _ = quality.visible_problems(exp.problems, ROLES["coordinator"], exp.arm_events,
                                        exp.arm_fields)
    mine = shown[shown["column"] == "rand_arm"]
    assert len(mine) >= 1 and mine["value"].isna().all()
    assert all("hidden from this role" in m for m in mine["message"])
    assert "RT alone" not in shown.astype(str).to_string()
    assert quality.hidden_arms(exp, ROLES["coordinator"]) == len(mine)
    assert quality.shown_problems(exp, ROLES["coordinator"], text="RT alone").empty
    inv, _ = quality.visible_problems(exp.problems, ROLES["investigator"], exp.arm_events,
                                      exp.arm_fields)
    assert "RT alone" not in inv.astype(str).to_string()
    dsmb, _ = quality.visible_problems(exp.problems, ROLES["dsmb"], exp.arm_events,
                                       exp.arm_fields)
    assert "RT alone" in dsmb.astype(str).to_string()


def test_the_reports_data_quality_section_never_gives_a_records_arm_to_the_open_or_masked(
        tmp_path):
    """The report lists problems too: the open report (the investigator's) and a masked
    one (whose Group A/B an arm value beside a record would unmask) hide arm values; the
    closed, unmasked report shows them."""
    from rfa_dash.report.build import build_report

    exp = open_export(make_export(tmp_path / "e", screening=[screen(), screen(screening_id="S2")],
                                  randomization=[rand(arm="rfa-rt-typo"),
                                                 rand(participant_id="002", screening_id="S2",
                                                      arm="rt alone typo")]))
    as_of = dt.date(2025, 12, 1)
    open_html = build_report(exp, as_of, ROLES["investigator"])
    masked = build_report(exp, as_of, ROLES["dsmb"], masked=True, key="omit")
    closed = build_report(exp, as_of, ROLES["dsmb"], masked=False)
    for html in (open_html, masked):
        assert "rfa-rt-typo" not in html and "rt alone typo" not in html
        assert "hidden from this role" in html
    assert "rfa-rt-typo" in closed and "rt alone typo" in closed
