"""fetch-redcap against a loopback server answering as REDCap's API documents it."""

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR
from rfa_dash.ingest.redcap.api import check_url
from rfa_dash.ingest.redcap.generate import to_redcap
from rfa_dash.ingest.redcap.importer import import_folder
from tests.redcap_api_server import TOKEN, RedcapStandIn

DATA = Path(__file__).parents[1] / "data" / "redcap"
DOCS = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture()
def token_file(tmp_path):
    p = tmp_path / "token"
    p.write_text(TOKEN + "\n")
    p.chmod(0o600)
    return p


@contextlib.contextmanager
def serving(folder, **kw):
    server = RedcapStandIn(folder, **kw)
    try:
        yield server
    finally:
        server.close()


def _out(cmd, folder, *extra):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main([cmd, str(folder), "--format", "csv", *extra]) == 0
    return buf.getvalue()


def test_fetched_sample_gives_the_sample_figures(tmp_path, token_file, capsys):
    rc = tmp_path / "rc"
    to_redcap(SAMPLE_DIR, rc)
    out = tmp_path / "fetched"
    with serving(rc, title="NCT07090122 sample") as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "fetched NCT07090122 sample (classic" in err and TOKEN not in err
    # every request: POST with the token, CSV, errors as JSON; records raw and flat
    contents = [r["content"] for r in server.requests]
    assert contents == ["project", "metadata", "record"]
    rec = server.requests[-1]
    assert (rec["type"], rec["rawOrLabel"], rec["rawOrLabelHeaders"], rec["format"]) == (
        "flat", "raw", "raw", "csv")
    assert all(r["returnFormat"] == "json" for r in server.requests)
    assert (out / "redcap_data_dictionary.csv").read_text().startswith("field_name,")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"] == "REDCap API" and manifest["exported_at_time"].endswith("Z")
    assert TOKEN not in (out / "manifest.json").read_text()
    shutil.copy(rc / "redcap_mapping.toml", out / "redcap_mapping.toml")
    assert main(["check", str(out)]) == 0
    capsys.readouterr()
    # the fetch is dated today: compare at the sample's data cut
    assert manifest["exported_at"] == manifest["exported_at_time"][:10]
    cut = ("--as-of", json.loads((SAMPLE_DIR / "manifest.json").read_text())["exported_at"])
    for cmd in ("eligibility", "visits", "sre"):
        assert _out(cmd, out, *cut) == _out(cmd, SAMPLE_DIR, *cut), cmd


def test_longitudinal_project_brings_its_events_and_arms(tmp_path, token_file):
    out = tmp_path / "demo"
    with serving(DATA / "longitudinal") as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 0
    assert [r["content"] for r in server.requests] == [
        "project", "metadata", "event", "arm", "formEventMapping", "record"]
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "redcap_arms.csv", "redcap_data_dictionary.csv", "redcap_events.csv",
        "redcap_form_events.csv", "redcap_records.csv"]
    shutil.copy(DOCS / "redcap-demo-2-arms.toml", out / "mapping.toml")
    direct = tmp_path / "direct"
    shutil.copytree(DATA / "longitudinal", direct)
    shutil.copy(DOCS / "redcap-demo-2-arms.toml", direct / "mapping.toml")
    a, b = import_folder(out), import_folder(direct)
    for t in a.tables:
        assert {c: v.to_pylist() for c, v in a.tables[t].items()} == \
            {c: v.to_pylist() for c, v in b.tables[t].items()}, t
    assert a.lines == b.lines


def test_wrong_token_is_one_line(tmp_path, capsys):
    bad = tmp_path / "token"
    bad.write_text("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")
    with serving(DATA / "dag") as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(bad),
                     "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == ("rfa_dash: REDCap refused the project export (HTTP 403): You do not have "
                   "permissions to use the API\n")
    assert "FFFF" not in err and not (tmp_path / "o").exists()


def test_server_error_leaves_an_earlier_fetch_as_it_was(tmp_path, token_file, capsys):
    out = tmp_path / "o"
    with serving(DATA / "dag") as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    with serving(DATA / "dag", fail="record") as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "REDCap refused the record export (HTTP 500): The server encountered an error" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_unreachable_server_and_bad_token_files(tmp_path, token_file, capsys):
    assert main(["fetch-redcap", "--url", "http://127.0.0.1:9/api/", "--token-file",
                 str(token_file), "--out", str(tmp_path / "o")]) == 2
    assert "cannot reach 127.0.0.1:9" in capsys.readouterr().err
    for text in ("", "two words", "line\nline"):
        (tmp_path / "t").write_text(text)
        assert main(["fetch-redcap", "--url", "https://redcap.example.org/api/",
                     "--token-file", str(tmp_path / "t"), "--out", str(tmp_path / "o")]) == 2
        assert "must hold the API token alone" in capsys.readouterr().err
    assert main(["fetch-redcap", "--url", "https://redcap.example.org/api/", "--token-file",
                 str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read the token file" in capsys.readouterr().err


def test_https_required_except_to_loopback(tmp_path, token_file, capsys):
    for url in ("http://redcap.example.org/api/", "http://10.0.0.8/api/", "ftp://x/api/",
                "redcap.example.org/api/"):
        assert main(["fetch-redcap", "--url", url, "--token-file", str(token_file),
                     "--out", str(tmp_path / "o")]) == 2, url
        assert "https" in capsys.readouterr().err
    for url in ("https://redcap.example.org/api/", "http://127.0.0.1:8080/api/",
                "http://localhost/api/", "http://[::1]:80/api/"):
        assert check_url(url) == url
