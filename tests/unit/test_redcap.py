"""REDCap import: round trip, the bundled REDCap sample, and every mapping problem class."""

import csv

import pandas as pd
import pytest

from rfa_dash.cli import main
from rfa_dash.contract import TABLE_ORDER
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.ingest.redcap.generate import to_redcap
from rfa_dash.ingest.redcap.importer import import_folder, is_redcap_folder, write_contract

REDCAP_SAMPLE = SAMPLE_DIR / "redcap"


def _frame(imported, table):
    """A converted table as a DataFrame of text."""
    cols = imported.tables[table]
    return pd.DataFrame({c: v.to_pylist() for c, v in cols.items()})


def _real(problems):
    """Problems other than the summary (info) lines."""
    return [p for p in problems if p.severity != "info"]


def _staged(exp, table):
    return exp.con.execute(f"SELECT * EXCLUDE (_line) FROM stg_{table} ORDER BY ALL").df()


def _records(folder):
    with (folder / "redcap_records.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _edit(folder, fn):
    """Rewrite the records CSV of a REDCap folder through fn(header, rows)."""
    path = folder / "redcap_records.csv"
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = fn(rows[0], rows[1:])
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)


def test_round_trip_gives_identical_tables(tmp_path):
    to_redcap(SAMPLE_DIR, tmp_path / "rc")
    imported = import_folder(tmp_path / "rc")
    assert imported.problems == []
    write_contract(imported, tmp_path / "back")
    a, b = open_export(SAMPLE_DIR), open_export(tmp_path / "back")
    assert b.problems.empty
    for t in TABLE_ORDER:
        assert _staged(a, t).equals(_staged(b, t)), t


def test_bundled_redcap_sample_is_current_and_gives_the_same_figures(tmp_path, capsys):
    to_redcap(SAMPLE_DIR, tmp_path / "rc")
    for p in sorted(REDCAP_SAMPLE.iterdir()):
        assert p.read_bytes() == (tmp_path / "rc" / p.name).read_bytes(), p.name
    for cmd in ("eligibility", "visits", "overdue", "sre"):
        assert main([cmd, str(REDCAP_SAMPLE), "--format", "csv"]) == 0
        from_redcap = capsys.readouterr().out
        assert main([cmd, str(SAMPLE_DIR), "--format", "csv"]) == 0
        assert from_redcap == capsys.readouterr().out, cmd


def test_redcap_folder_opens_directly_without_writing_into_it(tmp_path):
    to_redcap(SAMPLE_DIR, tmp_path / "rc")
    before = sorted(p.name for p in (tmp_path / "rc").iterdir())
    exp = open_export(tmp_path / "rc")
    assert exp.source == "redcap" and exp.folder == (tmp_path / "rc").resolve()
    assert exp.query("enrollment_funnel", as_of=exp.default_as_of)["n"].tolist() == [80, 37, 31,
                                                                                       31]
    assert sorted(p.name for p in (tmp_path / "rc").iterdir()) == before
    assert is_redcap_folder(tmp_path / "rc") and not is_redcap_folder(SAMPLE_DIR)


@pytest.fixture()
def rc(tmp_path):
    to_redcap(SAMPLE_DIR, tmp_path / "rc")
    return tmp_path / "rc"


def test_unmapped_field_is_a_warning(rc):
    _edit(rc, lambda h, rows: (h + ["nurse_initials"], [r + ["AB"] for r in rows]))
    [p] = import_folder(rc).problems
    assert p.severity == "info" and "1 REDCap field(s) not used" in p.message
    assert "nurse_initials" in p.message


def test_unused_event_rows_are_summarized_in_one_line(rc):
    def add(h, rows):
        extra = list(rows[0])
        extra[h.index("redcap_event_name")] = "month_48_arm_1"
        return h, rows + [extra, list(extra)]
    _edit(rc, add)
    imported = import_folder(rc)
    p, count = imported.problems
    assert p.severity == "info" and "month_48_arm_1 (2 rows)" in p.message
    assert "ignore_events" in p.message
    # rows out = rows in: the two rows are accounted for, in the counts and in a line
    assert imported.account["not_read"] == 2
    assert imported.account["placed"] == imported.account["read"] - 2
    assert count.severity == "info" and "2 in events it does not read" in count.message
    assert len(_frame(imported, "screening")) == 80
    # named as ignored in the mapping, the event is no longer mentioned
    m = rc / "redcap_mapping.toml"
    m.write_text(m.read_text().replace('record_id = "record_id"',
                                       'record_id = "record_id"\nignore_events = ["month_48"]'))
    again = import_folder(rc)
    assert again.problems == []
    assert again.account["ignored"] == 2 and again.account["not_read"] == 0


def test_bad_code_names_field_record_and_event(rc):
    def bad(h, rows):
        i, e = h.index("fu_status"), h.index("redcap_event_name")
        for r in rows:
            if r[e] == "month_3_arm_1" and r[i]:
                r[i] = "7"
                return h, rows
    _edit(rc, bad)
    [p] = import_folder(rc).problems
    assert p.column == "fu_status" and p.severity == "error"
    assert "event month_3_arm_1, field fu_status" in p.message and "record SCR-" in p.message
    assert '"7" is not one of its codes (1, 2)' in p.message
    assert p.line == next(i for i, r in enumerate(_records(rc), 2)
                          if r["fu_status"] == "7")


def test_labels_instead_of_raw_codes(rc):
    def labels(h, rows):
        i, j = h.index("scr_sex"), h.index("fu_status")
        for r in rows:
            r[i] = {"1": "F", "2": "M"}.get(r[i], r[i])
            r[j] = {"1": "Completed", "2": "missed"}.get(r[j], r[j])
        return h, rows
    _edit(rc, labels)
    imported = import_folder(rc)
    [p] = imported.problems
    assert p.severity == "info" and "values of 2 field(s) are labels" in p.message
    assert "scr_sex" in p.message and "fu_status" in p.message
    original = import_folder(REDCAP_SAMPLE)
    for t in ("screening", "visits"):
        assert _frame(imported, t).equals(_frame(original, t)), t


def test_checkbox_labels_checked_unchecked(rc):
    def checked(h, rows):
        cols = [i for i, x in enumerate(h) if x.startswith("scr_levels___")]
        for r in rows:
            for i in cols:
                r[i] = {"1": "Checked", "0": "Unchecked"}.get(r[i], r[i])
        return h, rows
    _edit(rc, checked)
    imported = import_folder(rc)
    assert imported.problems == []
    original = import_folder(REDCAP_SAMPLE)
    assert _frame(imported, "screening")["spine_levels"].tolist() == \
        _frame(original, "screening")["spine_levels"].tolist()


def test_repeat_instances(rc):
    imported = import_folder(rc)
    rows = _records(rc)
    sre_rows = [r for r in rows if r["redcap_repeat_instrument"] == "sre"]
    assert any(r["redcap_repeat_instance"] == "2" for r in sre_rows)  # a second SRE
    assert len(_frame(imported, "sre_events")) == len(sre_rows) == 8
    assert len(_frame(imported, "adverse_events")) == 44   # 5 of them before treatment


def test_dates_in_redcap_formats(rc):
    d = rc / "redcap_data_dictionary.csv"
    d.write_text(d.read_text().replace("consent_date,screening,,text,Consent date,,,date_ymd",
                                       "consent_date,screening,,text,Consent date,,,date_mdy"))

    def mdy(h, rows):
        i = h.index("consent_date")
        for r in rows:
            if r[i]:
                y, m, dd = r[i].split("-")
                r[i] = f"{m}-{dd}-{y}"
        rows[0][i] = "13-45-2025"
        return h, rows
    _edit(rc, mdy)
    imported = import_folder(rc)
    original = import_folder(REDCAP_SAMPLE)
    [p] = imported.problems
    assert p.column == "consent_date" and "not a date in the field's format (date_mdy)" in p.message
    got = _frame(imported, "screening")["consent_date"].tolist()[1:]
    assert got == _frame(original, "screening")["consent_date"].tolist()[1:]


def test_missing_randomization_for_follow_up_names_the_record(rc):
    def drop(h, rows):
        e = h.index("redcap_event_name")
        first = next(r for r in rows if r[e] == "randomization_arm_1")
        return h, [r for r in rows if r is not first]
    _edit(rc, drop)
    imported = import_folder(rc)
    errors = [p for p in imported.problems if p.severity == "error"]
    assert errors and all("no randomization row gives its participant_id" in p.message
                          for p in errors)
    # each row left out is counted as such (rows out = rows in)
    assert imported.account["left_out"] == len(errors)
    assert sum(v for k, v in imported.account.items() if k != "read") == \
        imported.account["read"]
    assert len(_frame(imported, "randomization")) == 30


def test_import_redcap_cli(rc, tmp_path, capsys):
    assert main(["import-redcap", str(rc), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "screening.csv").is_file()
    assert main(["check", str(tmp_path / "out")]) == 0
    assert main(["import-redcap", str(SAMPLE_DIR), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "is not a REDCap project export: looked for a records CSV" in err
    assert "data dictionary CSV" in err


def test_contract_problems_name_lines_of_the_records_file(rc):
    # a month-3 visit recorded twice: the second copy is appended at the end
    state = {}

    def dup(h, rows):
        e = h.index("redcap_event_name")
        i = next(k for k, r in enumerate(rows) if r[e] == "month_3_arm_1")
        state["first"], state["second"] = i + 2, len(rows) + 2  # file lines (header = 1)
        return h, rows + [list(rows[i])]
    _edit(rc, dup)
    exp = open_export(rc)
    [p] = exp.problems[exp.problems["table"] == "visits"].itertuples()
    assert p.line == state["second"]
    assert f"(first at line {state['first']})" in p.message
    # told as the REDCap project has it: the record, the event, the REDCap field
    assert p.message.startswith("record SCR-0004, event month_3_arm_1: ")


def test_contract_problem_names_the_redcap_field(rc):
    def bad(h, rows):
        i = h.index("scr_age")
        rows[2][i] = "212"
        return h, rows
    _edit(rc, bad)
    exp = open_export(rc)
    [p] = exp.problems[exp.problems["table"] == "screening"].itertuples()
    assert (p.line, p.column) == (4, "scr_age")
    assert p.message.startswith("record SCR-0003, event screening_arm_1: ")
    # and a repeat instance is named too
    def bad_ae(h, rows):
        i, r = h.index("ae_grade"), h.index("redcap_repeat_instrument")
        row = next(x for x in rows if x[r] == "adverse_event")
        row[i] = "9"
        return h, rows
    _edit(rc, bad_ae)
    exp = open_export(rc)
    [p] = exp.problems[exp.problems["table"] == "adverse_events"].itertuples()
    assert p.column == "ae_grade" and ", adverse_event #1: " in p.message
