"""A damaged cache entry is discarded and rebuilt with an info line, never a traceback
(issue 25)."""

from tests.state.helpers import cli


def test_a_damaged_cache_entry_is_rebuilt_with_an_info_line(_private_state):
    assert cli("check").returncode == 0                       # writes the entry
    (entry,) = [p for p in (_private_state / "cache").iterdir() if p.is_dir()]
    part = entry / "stg_randomization.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])   # cut short
    r = cli("sre", "--format", "csv")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"rfa_dash: info: the cache entry {entry.name} could not be "
                                "read (" + r.stderr.split("could not be read (", 1)[1].strip())
    assert r.stdout == cli("sre", "--format", "csv", env={"RFA_DASH_CACHE_DIR": str(
        _private_state / "another_cache")}).stdout            # the same answer as uncached
    again = cli("check")
    assert again.returncode == 0 and again.stderr == ""       # rebuilt: read quietly


def test_a_cache_folder_that_cannot_be_written_is_one_line_not_a_failure(_private_state,
                                                                         capfd, monkeypatch):
    """Issue 37: run without a writable cache folder, sign-in ended in Streamlit's generic
    "This app has encountered an error" (a PermissionError in cache.save). Now one line
    names the folder and the setting; the export is read without a cache."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from rfa_dash import startup
    from rfa_dash.ingest import cache

    blocker = _private_state / "not-a-folder"
    blocker.write_text("a file where the cache folder's parent should be")
    bad = blocker / "cache"
    r = cli("check", env={"RFA_DASH_CACHE_DIR": str(bad)})
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"rfa_dash: warning: the cache folder {bad} cannot be written "
                                "by this user (RFA_DASH_CACHE_DIR); exports are loaded without "
                                "a cache until it can")
    monkeypatch.setenv("RFA_DASH_CACHE_DIR", str(bad))
    monkeypatch.setattr(startup, "_FOLDERS_CHECKED", False)
    monkeypatch.setattr(cache, "_TOLD", set())
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"),
                           default_timeout=60)
    at.session_state["role"] = "dsmb"
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Overview"
    err = capfd.readouterr().err
    assert err.count(f"the cache folder {bad} cannot be written") == 1     # once, at start-up
