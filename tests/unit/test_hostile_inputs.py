"""Hostile and broken inputs: each gives a clear one-line message or a reported problem,
never a traceback, a hang or a silent replacement (issue 16's robustness classes)."""

import json
import os
import time

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest import uploads
from rfa_dash.ingest.export import open_export
from tests.helpers import make_export, rand, screen


def _problems(exp, table=None):
    df = exp.problems
    return df if table is None else df[df["table"] == table]


# -- dates: year 0000, years past 2262, in data, the manifest and --as-of
@pytest.mark.parametrize("value", ["0000-01-01", "2263-01-01", "9999-12-31", "1899-12-31"])
def test_implausible_years_in_data_are_reported_not_crashed_on(tmp_path, value, capsys):
    folder = make_export(tmp_path / "e", randomization=[rand(randomization_date=value)])
    exp = open_export(folder)
    [p] = _problems(exp, "randomization").itertuples()
    assert p.column == "randomization_date" and "from 1900 to 2199" in p.message
    for cmd in ("eligibility", "visits", "sre", "overdue", "progression"):
        assert main([cmd, str(folder), "--format", "csv"]) == 0, cmd
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0000-01-01", "2263-01-01", "99999-01-01", "20251201",
                                   "2025-W01-1", "2025-02-30", 20250101, None])
def test_manifest_exported_at_out_of_range_falls_back_to_today(tmp_path, value):
    folder = make_export(tmp_path / "e", manifest=json.dumps({"exported_at": value}))
    exp = open_export(folder)
    if value is None:
        assert _problems(exp, "manifest").empty
        return
    [p] = _problems(exp, "manifest").itertuples()
    assert p.severity == "warning" and "today is used" in p.message
    import datetime as dt
    assert exp.default_as_of == dt.date.today()


@pytest.mark.parametrize("value", ["0000-01-01", "2263-01-01", "99999-01-01", "20251201",
                                   "2025-W01-1", "2025-1-5", "tomorrow"])
def test_as_of_accepts_only_plausible_yyyy_mm_dd(tmp_path, value, capsys):
    assert main(["eligibility", str(make_export(tmp_path / "e")), "--as-of", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") <= 3 and "Traceback" not in err and "--as-of" in err


def test_deeply_nested_manifest_is_ignored_with_a_warning(tmp_path):
    folder = make_export(tmp_path / "e", manifest="[" * 100_000 + "]" * 100_000)
    [p] = _problems(open_export(folder), "manifest").itertuples()
    assert "ignored" in p.message


def test_huge_manifest_is_not_read(tmp_path):
    folder = make_export(tmp_path / "e", manifest=json.dumps({"note": "x" * 2_000_000}))
    [p] = _problems(open_export(folder), "manifest").itertuples()
    assert "larger than" in p.message


# -- files that are not files
def test_fifo_as_a_table_file_is_refused_without_waiting(tmp_path):
    folder = make_export(tmp_path / "e", skip=("visits",))
    os.mkfifo(folder / "visits.csv")
    t = time.monotonic()
    exp = open_export(folder)
    assert time.monotonic() - t < 30
    [p] = _problems(exp, "visits").itertuples()
    assert "visits.csv is a FIFO (named pipe), not a regular file" in p.message


def test_case_twin_files_in_a_folder_are_an_error(tmp_path):
    folder = make_export(tmp_path / "e")
    (folder / "Screening.csv").write_bytes((folder / "screening.csv").read_bytes())
    msgs = " ".join(_problems(open_export(folder), "screening")["message"])
    assert "more than one file for this table (Screening.csv, screening.csv)" in msgs


# -- uploads: a private folder of this process, bounded in count and age
def test_upload_root_is_private_and_not_a_fixed_path(monkeypatch, tmp_path):
    monkeypatch.delenv("RFA_DASH_UPLOAD_DIR", raising=False)
    root = uploads.upload_root()
    assert root.name.startswith("rfa_dash_uploads_") and root.name != "rfa_dash_uploads"
    assert (root.stat().st_mode & 0o777) == 0o700 and root.stat().st_uid == os.getuid()
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setenv("RFA_DASH_UPLOAD_DIR", str(shared))
    with pytest.raises(uploads.UploadError, match="readable by others"):
        uploads.upload_root()
    link = tmp_path / "link"
    link.symlink_to(root)
    monkeypatch.setenv("RFA_DASH_UPLOAD_DIR", str(link))
    with pytest.raises(uploads.UploadError, match="not a folder"):
        uploads.upload_root()


def test_uploads_are_capped_deduplicated_and_pruned(tmp_path):
    root = tmp_path / "up"
    root.mkdir(mode=0o700)
    files = [("screening.csv", b"a\n"), ("visits.csv", b"b\n")]
    first, new = uploads.save(files, root)
    assert new and sorted(p.name for p in first.iterdir()) == ["screening.csv", "visits.csv"]
    assert uploads.save(list(reversed(files)), root) == (first, False)
    with pytest.raises(uploads.UploadError, match="at most 20"):
        uploads.save([(f"f{i}.csv", b"x") for i in range(21)], root)
    with pytest.raises(uploads.UploadError, match="two files for one name"):
        uploads.save([("Visits.csv", b"1"), ("visits.csv", b"2")], root)
    old = time.time() - uploads.MAX_AGE_S - 60
    os.utime(first, (old, old))
    second, _ = uploads.save([("screening.csv", b"c\n")], root)
    assert not first.exists() and second.exists()


def test_sample_like_export_still_has_no_problems(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[screen()]))
    assert exp.problems.empty


# -- file contents a parser chokes on
def _with_visits_file(tmp_path, data: bytes):
    folder = make_export(tmp_path / "e", skip=("visits",))
    (folder / "visits.csv").write_bytes(data)
    return _problems(open_export(folder), "visits")


def test_utf16_file_says_save_as_utf8(tmp_path):
    text = "participant_id,visit_month,status,visit_date,pain_nrs\n001,1,completed,2025-05-01,3\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le")):
        [p] = _with_visits_file(tmp_path, data).itertuples()
        assert "UTF-16" in p.message and "save it as UTF-8" in p.message


def test_nul_byte_names_its_line(tmp_path):
    data = (b"participant_id,visit_month,status,visit_date,pain_nrs\n"
            b"001,1,completed,2025-05-01,3\n001,3,comp\x00leted,2025-07-01,3\n")
    [p] = _with_visits_file(tmp_path, data).itertuples()
    assert "line 3 holds a NUL byte" in p.message


def test_million_column_header_is_refused_quickly(tmp_path):
    t = time.monotonic()
    [p] = _with_visits_file(tmp_path, b",".join([b"c"] * 1_000_000) + b"\n").itertuples()
    assert time.monotonic() - t < 30
    assert "columns, more than 4096" in p.message and "the header has over " in p.message


def test_hundred_megabyte_cell_is_a_plain_message(tmp_path):
    data = (b"participant_id,visit_month,status,visit_date,pain_nrs\n001,1,\"" + b"x" * (100 << 20)
            + b"\",2025-05-01,3\n")
    [p] = _with_visits_file(tmp_path, data).itertuples()
    assert "a value is longer than 16 MB" in p.message and "straddl" not in p.message


def test_zip_bomb_xlsx_is_refused_before_unpacking(tmp_path):
    import zipfile

    folder = make_export(tmp_path / "e", skip=("visits",))
    with zipfile.ZipFile(folder / "visits.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (300 << 20) + b"</a>")
    t = time.monotonic()
    [p] = _problems(open_export(folder), "visits").itertuples()
    assert time.monotonic() - t < 30
    assert "zip bomb" in p.message


def test_parquet_timestamps_with_a_zone_give_the_same_dates_in_every_tz(tmp_path):
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = make_export(tmp_path / "e", skip=("randomization",))
    # 23:30 UTC on 14 April: already the 15th east of Greenwich
    when = pa.array([1744673400_000_000], pa.timestamp("us", tz="UTC"))
    cols = {c: pa.array([v]) for c, v in rand().items() if c != "randomization_date"}
    cols["randomization_date"] = when
    pq.write_table(pa.table(cols), folder / "randomization.parquet")
    script = ("from rfa_dash.ingest.export import open_export; import sys; "
              "e = open_export(sys.argv[1], use_cache=False); "
              "print(e.con.execute('SELECT randomization_date FROM stg_randomization')"
              ".fetchone()[0])")
    got = set()
    for tz in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        r = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True,
                           text=True, env=dict(os.environ, TZ=tz), check=True)
        got.add(r.stdout.strip())
    assert got == {"2025-04-14"}


# -- IDs and values the contract allows but a data manager would question
def test_ids_differing_only_in_case_are_probable_duplicates(tmp_path):
    folder = make_export(
        tmp_path / "e",
        screening=[screen(screening_id="SCR-0001"), screen(screening_id="scr-0001")],
        randomization=[rand(participant_id="A01", screening_id="SCR-0001"),
                       rand(participant_id="a01", screening_id="scr-0001")])
    exp = open_export(folder)
    msgs = {(p.table, p.severity): p.message for p in exp.problems.itertuples()}
    assert "screening_id scr-0001 differs from SCR-0001 (first at line 2) only in case" in \
        msgs[("screening", "warning")]
    assert "participant_id a01 differs from A01 (first at line 2) only in case" in \
        msgs[("randomization", "warning")]
    # surrounding spaces are trimmed: an exact duplicate, left out
    folder = make_export(tmp_path / "f", screening=[screen(), screen(screening_id=" S001 ")])
    [p] = open_export(folder).problems.itertuples()
    assert p.severity == "error" and "duplicate screening_id S001" in p.message


@pytest.mark.parametrize("column", ["creatinine", "weight_kg", "creatinine_uln", "ast_uln"])
def test_zero_weight_creatinine_or_limit_is_a_warning(tmp_path, column):
    folder = make_export(tmp_path / "e", screening=[screen(**{column: "0"})], randomization=[])
    [p] = open_export(folder).problems.itertuples()
    assert p.severity == "warning" and f"{column} is 0, not a plausible value" in p.message


def _renal(tmp_path, **values):
    folder = make_export(tmp_path / "r", screening=[screen(**values)], randomization=[])
    return open_export(folder).con.execute(
        "SELECT c_renal FROM eligibility_at(DATE '2026-01-01')").fetchone()[0]


def test_zero_creatinine_passes_no_criterion(tmp_path):
    # 0 would pass both arms of the renal rule: at most 1.5 x ULN, and a clearance (a
    # division by creatinine) above any threshold; unknown instead
    assert _renal(tmp_path, creatinine="0") is None
    # a weight of 0 leaves the clearance unknown; the ULN arm still decides alone
    assert _renal(tmp_path, weight_kg="0", creatinine="9", creatinine_uln="1") is None


# -- to-redcap on what a user may hand it
def test_to_redcap_without_optional_tables_and_from_parquet(tmp_path, capsys):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = make_export(tmp_path / "e", skip=("adverse_events",))
    assert main(["to-redcap", str(folder), "--out", str(tmp_path / "rc")]) == 0
    assert main(["check", str(tmp_path / "rc")]) == 0
    pq_folder = tmp_path / "pq"
    pq_folder.mkdir()
    for f in folder.glob("*.csv"):
        pq.write_table(pacsv.read_csv(f), pq_folder / (f.stem + ".parquet"))
    assert main(["to-redcap", str(pq_folder), "--out", str(tmp_path / "rc2")]) == 0
    capsys.readouterr()
    outs = []
    for rc in ("rc", "rc2"):   # Parquet's 3.0 is written 3: the same figures
        assert main(["eligibility", str(tmp_path / rc), "--format", "csv"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and outs[0].count("\n") == 2


def test_to_redcap_refuses_a_missing_folder_and_writing_into_the_export(tmp_path, capsys):
    assert main(["to-redcap", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip().startswith("rfa_dash: export folder not found")
    folder = make_export(tmp_path / "e")
    before = sorted(p.name for p in folder.iterdir())
    for out in (folder, folder / "redcap"):
        assert main(["to-redcap", str(folder), "--out", str(out)]) == 2
        assert "may not be the export folder" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == before
    bad = make_export(tmp_path / "b", skip=("randomization",))
    assert main(["to-redcap", str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "randomization" in err
