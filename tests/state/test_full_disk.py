"""A full disk (issue 25): a small tmpfs, filled up. Each write that cannot complete is one
message (exit 2, or a message on the page), nothing half-written, the earlier file intact,
the temporary files removed. Mounting needs root (CI runs the tests as root); elsewhere
these tests are skipped with that reason."""

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from rfa_dash.ingest.export import SAMPLE_DIR
from tests.state.helpers import cli


@pytest.fixture()
def disk(tmp_path):
    """A 4 MB tmpfs; ``disk.fill(free)`` leaves about ``free`` bytes free on it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs the tests as root)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")

    class Disk:
        path = mnt

        @staticmethod
        def fill(free: int = 0) -> None:
            st = os.statvfs(mnt)
            room = st.f_bavail * st.f_frsize - free
            with open(mnt / "filler", "ab") as f:
                f.write(b"\0" * max(room, 0))

        @staticmethod
        def unfill() -> None:
            (mnt / "filler").unlink(missing_ok=True)

        @staticmethod
        def leftovers() -> list[str]:
            return sorted(p.name for p in mnt.rglob("*") if ".tmp-" in p.name
                          or ".previous-" in p.name or p.name.startswith(".part"))

    yield Disk
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _one_line(r) -> str:
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_report_out_on_a_full_disk_keeps_last_months_report(disk):
    out = disk.path / "report.html"
    out.write_text("last month's report")
    assert cli("check").returncode == 0          # the cache lives elsewhere, written first
    disk.fill(free=16_000)
    r = cli("report", "--role", "investigator", "--out", str(out))
    assert r.returncode == 2
    assert _one_line(r) == (f"rfa_dash: cannot write {out}: No space left on device; the "
                            "earlier file is intact")
    assert out.read_text() == "last month's report" and disk.leftovers() == []


def test_import_redcap_on_a_full_disk_leaves_the_earlier_tables(disk):
    out = disk.path / "contract"
    assert cli("import-redcap", str(SAMPLE_DIR / "redcap"), "--out", str(out)).returncode \
        in (0, 1)
    (out / "screening.csv").write_bytes(b"the earlier import\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    disk.fill(free=30_000)
    r = cli("import-redcap", str(SAMPLE_DIR / "redcap"), "--out", str(out))
    assert r.returncode == 2
    assert "No space left on device; the earlier files are intact" in _one_line(r)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert disk.leftovers() == []


def test_the_state_store_on_a_full_disk_is_one_line_and_loses_nothing(disk, monkeypatch):
    monkeypatch.setenv("RFA_DASH_STATE_URL", f"sqlite:///{disk.path / 'state.sqlite'}")
    monkeypatch.setenv("RFA_DASH_SECRET", "full-disk-secret")
    assert cli("add-user", "first", "--role", "dsmb", "--password-stdin",
               stdin="first password 1\n").returncode == 0
    disk.fill()
    r = cli("add-user", "second", "--role", "dsmb", "--password-stdin",
            stdin="second password 2\n")
    assert r.returncode == 2
    # SQLite says either, by the step that found no room (the journal or the database)
    assert re.search(r"state store sqlite:///.* (failed|cannot be opened): (database or "
                     r"disk is full|disk I/O error)$", _one_line(r))
    disk.unfill()
    r = cli("verify-audit")
    assert r.returncode == 0 and "1 entries checked" in r.stdout
    assert cli("add-user", "second", "--role", "dsmb", "--password-stdin",
               stdin="second password 2\n").returncode == 0


def test_saving_a_cut_on_a_full_disk_is_a_message_on_the_page(disk, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from rfa_dash.state import store

    monkeypatch.setenv("RFA_DASH_STATE_URL", f"sqlite:///{disk.path / 'state.sqlite'}")
    monkeypatch.setenv("RFA_DASH_SECRET", "full-disk-secret")
    store.forget()
    store.engine()
    con = sqlite3.connect(disk.path / "state.sqlite")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # no room left in its journal either
    con.close()
    disk.fill()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"),
                           default_timeout=120)
    at.session_state["role"] = "dsmb"
    at.run()
    from rfa_dash.page_registry import PAGES

    at.switch_page(PAGES["report"].file).run()
    at.button(key="save_cut").click().run()
    assert not at.exception
    said = [e.value for e in at.error]
    assert any(re.search("disk is full|could not be read or written", e) and "was not recorded"
               in e for e in said), said
    assert not any("sqlite" in e or str(disk.path) in e for e in said), said   # no path
    disk.unfill()
    store.forget()


def test_uploads_and_the_cache_on_a_full_disk(disk, monkeypatch):
    from rfa_dash.ingest import uploads

    root = disk.path / "uploads"
    root.mkdir(mode=0o700)
    disk.fill(free=2_000)
    with pytest.raises(uploads.UploadError, match="the upload cannot be saved: No space left"):
        uploads.save([("screening.csv", b"x" * 50_000)], root)
    assert disk.leftovers() == []
    # a cache that cannot be written: the export is read all the same
    r = cli("check", env={"RFA_DASH_CACHE_DIR": str(disk.path / "cache")})
    assert r.returncode == 0 and "Traceback" not in r.stderr
