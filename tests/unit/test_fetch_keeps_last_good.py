"""Issue 26: fetch-redcap keeps the last good copy. A 200 answer that is a login page, JSON
or nothing; an error page echoing the token; an endless or trickled body; a body cut
short: each is one line and exit 2, the token never shown, the earlier fetch unchanged."""

import time

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest.redcap import api
from tests.redcap_api_server import TOKEN
from tests.unit.test_redcap_api import DATA, serving


@pytest.fixture()
def token_file(tmp_path):
    p = tmp_path / "token"
    p.write_text(TOKEN + "\n")
    return p


@pytest.fixture()
def earlier(tmp_path, token_file):
    out = tmp_path / "o"
    with serving(DATA / "dag") as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 0
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("content,mode,says", [
    ("record", "html", "came back as an HTML page"),
    ("metadata", "json", "came back as JSON, not CSV"),
    ("record", "empty", "came back empty"),
    ("record", "echo", "REDCap refused the record export (HTTP 500)"),
    ("metadata", "truncated", "broke off"),
])
def test_a_bad_answer_keeps_the_earlier_fetch(earlier, token_file, capsys, content, mode, says):
    out, before = earlier
    capsys.readouterr()
    with serving(DATA / "dag", misbehave={content: mode}) as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "Traceback" not in err
    assert TOKEN not in err                      # not even from an echoing error page
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("mode,limit", [("endless", "MAX_BYTES"), ("trickle", "TIMEOUT")])
def test_endless_and_trickled_answers_are_bounded(earlier, token_file, capsys, monkeypatch,
                                                 mode, limit):
    out, before = earlier
    monkeypatch.setattr(api, "MAX_BYTES", 8 << 20)      # small bounds, same code
    monkeypatch.setattr(api, "TIMEOUT", 3)
    capsys.readouterr()
    t0 = time.monotonic()
    with serving(DATA / "dag", misbehave={"record": mode}) as server:
        assert main(["fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                     "--out", str(out)]) == 2
    assert time.monotonic() - t0 < 20
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("larger than 8 MB" if limit == "MAX_BYTES" else "did not arrive within 3 s") in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_fetch_killed_at_each_step_leaves_the_earlier_files_or_all_the_new(
        earlier, token_file, tmp_path):
    """The fetched files replace the earlier ones together or not at all: a kill between
    two renames used to leave the new dictionary beside the old records. The project
    changes between the fetches (another project's files are served), and a mapping the
    site keeps in the folder stays."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out, _ = earlier
    (out / "mapping.toml").write_text("# the site's mapping\n")
    before = {p.name: b"".join(ln for ln in p.read_bytes().splitlines(True)
                               if b"exported_at_time" not in ln) for p in out.iterdir()}
    after, seen = None, []
    with serving(DATA / "longitudinal") as server:
        for n in range(1, 60):
            r = subprocess.run(
                [sys.executable, str(root / "tests" / "state" / "kill_at.py"), str(n),
                 "fetch-redcap", "--url", server.url, "--token-file", str(token_file),
                 "--out", str(out)], capture_output=True, text=True, timeout=120, cwd=root,
                env={**os.environ, "PYTHONPATH": str(root)})
            # the manifest says when each fetch ran: compared without that line
            now = {p.name: b"".join(ln for ln in p.read_bytes().splitlines(True)
                                    if b"exported_at_time" not in ln) for p in out.iterdir()}
            if r.returncode != -9:
                assert r.returncode == 0, r.stderr
                after = now
                break
            seen.append((n, now))
    assert after is not None and after != before and n > 3
    for n, now in seen:                      # killed: the earlier fetch or the new, whole
        assert now in (before, after), n
    assert after["mapping.toml"] == b"# the site's mapping\n"
    assert after["redcap_records.csv"] != before["redcap_records.csv"]
