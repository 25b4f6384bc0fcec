"""Every output says what made it (issue 33): the package version, the source revision,
the code's digest, the export's and the protocol file's digests, on the command line's
--version, the report's cover, e-mails, saved cuts, the report's audit entry and the
app's sidebar; and a report rebuilt from a saved cut has the same stamp and numbers."""

import contextlib
import datetime as dt
import io
import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import rfa_dash
from rfa_dash import version
from rfa_dash.analysis import cuts
from rfa_dash.cli.main import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.protocol import load_protocol
from rfa_dash.report.build import build_document
from rfa_dash.state import cuts as stored
from tests.helpers import audit_entries

ROOT = Path(__file__).resolve().parents[2]
ROLES = load_protocol().roles


def test_the_version_is_written_once():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rfa_dash.__version__"}
    assert rfa_dash.__version__ != "0.1.0"        # raised at last (issue 33)


def test_revision_is_the_checkouts_commit():
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("no git checkout here")
    head = subprocess.run([git, "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, timeout=30)
    if head.returncode != 0:
        pytest.skip("git cannot read this checkout")
    assert version.revision() == head.stdout.strip()


def test_revision_is_unknown_without_a_checkout(tmp_path, monkeypatch):
    monkeypatch.setattr(version, "PACKAGE", tmp_path / "site-packages" / "rfa_dash")
    version.revision.cache_clear()
    try:
        assert version.revision() == "unknown"
        assert version.stamp().revision == "unknown"
    finally:
        version.revision.cache_clear()


def test_the_code_digest_follows_the_code(tmp_path, monkeypatch):
    pkg = tmp_path / "rfa_dash"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(version, "PACKAGE", pkg)
    version.code_hash.cache_clear()
    try:
        first = version.code_hash()
        (pkg / "a.py").write_text("x = 2\n")
        version.code_hash.cache_clear()
        assert version.code_hash() != first
    finally:
        version.code_hash.cache_clear()


def test_cli_version():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--version"]) == 0
    line = out.getvalue().strip()
    assert line == version.stamp().code_line()
    assert line.startswith(f"rfa_dash {rfa_dash.__version__} (revision ")


def test_stamp_line_names_export_and_protocol():
    p = load_protocol()
    s = version.stamp("f" * 64, p.source)
    assert s.export == "f" * 12
    assert s.protocol == version.file_hash(p.source)[:12]
    assert s.line().endswith(f"export SHA-256 {'f' * 12}; protocol SHA-256 {s.protocol}")


def _numbers(doc):
    """Every table and text of a report, as read: what a rebuilt report must repeat."""
    out = []
    for s in doc.sections:
        for b in s.blocks:
            frame = getattr(b, "frame", None)
            if frame is not None:
                out.append((s.title, b.title, frame.astype(str).to_csv(index=False)))
            elif hasattr(b, "text"):
                out.append((s.title, "text", b.text))
    return out


def test_a_report_rebuilt_from_a_saved_cut_has_the_same_stamp_and_numbers(tmp_path):
    exp = open_export(SAMPLE_DIR)
    as_of = dt.date(2026, 6, 1)
    made = version.stamp(exp.fingerprint, exp.protocol.source)
    saved = cuts.save_cut(exp, as_of, "dsmb1", "dsmb")
    # the cut records what saved it, in the store and in its audit entry
    folder = stored.export(saved.name, tmp_path / "cut")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["made_by"] == made.line()
    (entry,) = [e for e in audit_entries() if e["action"] == "cut_saved"]
    assert entry["detail"].startswith(f"{saved.name} fingerprint=")
    assert entry["detail"].endswith(f" made_by={made.line()}")

    when = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    live = build_document(exp, as_of, ROLES["dsmb"], generated_at=when, masked=False)
    again = build_document(open_export(folder), as_of, ROLES["dsmb"], generated_at=when,
                           masked=False)
    cover, cover_again = dict(live.cover), dict(again.cover)
    assert cover["Made by"] == cover_again["Made by"] == made.code_line()
    assert live.made_by == made
    assert again.made_by is not None and again.made_by.code == made.code
    assert again.made_by.protocol == made.protocol
    # the rebuilt report names the export the cut was taken from
    assert cover_again["A saved cut of the export"] == exp.fingerprint
    assert "A saved cut of the export" not in cover
    # every number the same; only the table of files read names other files (the cut's
    # Parquet tables, holding the rows up to the data cut, instead of the export's CSVs)
    files_read = ("Data quality", "Rows read per table")
    a, b = _numbers(again), _numbers(live)
    assert len(a) == len(b) > 40
    assert [x for x in a if x[:2] != files_read] == [x for x in b if x[:2] != files_read]


def test_every_report_form_carries_the_stamp():
    from rfa_dash.report.build import build_report

    exp = open_export(SAMPLE_DIR)
    made = version.stamp(exp.fingerprint, exp.protocol.source)
    html = build_report(exp, exp.default_as_of, ROLES["investigator"])
    assert made.code_line() in html
    assert made.protocol in html and exp.fingerprint in html


def test_a_conversion_is_keyed_by_the_code_that_converts(tmp_path, monkeypatch):
    from rfa_dash.ingest import export as export_module

    redcap = SAMPLE_DIR / "redcap"
    first = open_export(redcap)
    first.close()
    root = Path(export_module.cache.cache_root()) / "redcap"
    before = {p.name for p in root.iterdir()}
    monkeypatch.setattr(export_module, "code_hash", lambda: "0" * 64)   # the importer changed
    second = open_export(redcap)
    second.close()
    added = {p.name for p in root.iterdir()} - before
    assert len(added) == 1 and added.pop().startswith("0" * 16)
