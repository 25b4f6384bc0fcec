"""A process killed at each write step (issue 25): nothing lost, nothing half-written, and
the next run works. Each command is run again and again, killed one step later each
time, until it runs to its end."""

import os
import subprocess
import sys
from pathlib import Path

from rfa_dash import auth
from rfa_dash.analysis import cuts
from rfa_dash.ingest.export import SAMPLE_DIR
from rfa_dash.state import audit, store
from tests.helpers import audit_entries, usernames
from tests.state.helpers import cli, raw
from tests.unit.test_notify import events  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
KILL_AT = str(ROOT / "tests" / "state" / "kill_at.py")
MAX_STEPS = 80


def killed_at(n: int, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, KILL_AT, str(n), *argv], input=stdin,
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def each_kill(*argv: str, stdin: str = "", check=lambda n: None, export: str = "") -> int:
    """Kill ``argv`` at step 1, 2, ... until it finishes; ``check(n)`` after each kill.
    Returns the number of write steps.

    With ``export``, its cache entry is written first, so that every run takes the
    same steps (a kill inside the cache's own write is a test of its own, below)."""
    if export:
        assert cli("check", export).returncode in (0, 1)
    for n in range(1, MAX_STEPS):
        r = killed_at(n, *argv, stdin=stdin)
        if r.returncode != -9:
            assert r.returncode == 0, r.stderr
            assert f"steps={n - 1}" in r.stderr, r.stderr
            return n - 1
        store.forget()
        check(n)
    raise AssertionError(f"{argv[0]} took more than {MAX_STEPS} write steps")


def test_add_user_killed_at_each_step(state_url):
    auth.add_user("first", "the first password", "dsmb")      # the store made, one account

    def check(n):
        names = usernames()
        added = [e for e in audit_entries() if e["action"] == "account_added"]
        # the account and its entry together, or neither; the first account never lost
        assert names in (["first"], ["first", "second"]), (n, names)
        assert len(added) == len(names), (n, names, added)
        assert audit.verify().ok, n

    steps = each_kill("add-user", "second", "--role", "investigator", "--password-stdin",
                      stdin="the second password\n", check=check)
    assert steps >= 3
    store.forget()
    assert auth.authenticate("second", "the second password").role == "investigator"


def test_save_cut_killed_at_each_step(state_url):
    store.engine()

    def check(n):
        listed = cuts.list_cuts()
        saved = [e for e in audit_entries() if e["action"] == "cut_saved"]
        assert len(listed) == len(saved) <= 1, n            # never a cut without its entry
        assert set(listed["status"]) <= {"intact"}, n       # never half a cut
        assert audit.verify().ok, n

    each_kill("save-cut", "--as-of", "2026-06-01", check=check, export=str(SAMPLE_DIR))
    store.forget()
    (name,) = cuts.list_cuts()["cut"]
    from rfa_dash.contract import TABLE_ORDER

    assert set(cuts.read_cut(name)) == set(TABLE_ORDER)


def test_report_out_killed_at_each_step_leaves_the_earlier_report_or_the_new(tmp_path):
    out = tmp_path / "report.html"
    out.write_text("last month's report")

    def check(n):
        text = out.read_text(encoding="utf-8")
        assert text == "last month's report" or text.rstrip().endswith("</html>"), n

    each_kill("report", "--role", "investigator", "--out", str(out), check=check,
              export=str(SAMPLE_DIR))
    assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_import_redcap_killed_at_each_step_never_mixes_tables(tmp_path):
    out = tmp_path / "contract"
    assert cli("import-redcap", str(SAMPLE_DIR / "redcap"), "--out", str(out)).returncode \
        in (0, 1)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "screening.csv").write_bytes(b"an earlier import's table\n")   # tell them apart
    earlier = {p.name: p.read_bytes() for p in out.iterdir()}

    def check(n):
        now = {p.name: p.read_bytes() for p in out.iterdir()}
        assert now in (earlier, first), n      # all the earlier tables, or all the new

    each_kill("import-redcap", str(SAMPLE_DIR / "redcap"), "--out", str(out), check=check)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_notify_killed_at_each_step_repeats_at_most_the_one_message(
        tmp_path, events, monkeypatch):  # noqa: F811
    """Each time a fresh ledger and mailbox; the run killed at step n, then run again: every
    alert arrives, each with its audit entry, and a repeat is only ever the same message
    (same Message-ID) once, where the kill fell between the server's acceptance and the
    record."""
    import collections

    from aiosmtpd.controller import Controller

    from rfa_dash.notify.state import CLAIM_TTL_S
    from tests.unit.test_notify import PI, Sink, _config, _free_port

    port = _free_port()
    cfg = _config(tmp_path / "cfg", port, [PI])
    argv = ("notify", str(events), "--config", str(cfg), "--as-of", "2025-12-01")
    assert cli("check", str(events)).returncode in (0, 1)
    monkeypatch.setenv("RFA_DASH_SECRET", "kill-test-secret")
    repeats = 0
    for n in range(1, MAX_STEPS):
        monkeypatch.setenv("RFA_DASH_STATE_URL", f"sqlite:///{tmp_path / f'state{n}.sqlite'}")
        store.forget()
        store.engine()
        sink = Sink()
        ctrl = Controller(sink, hostname="127.0.0.1", port=port)
        ctrl.start()
        try:
            r = killed_at(n, *argv)
            finished = r.returncode != -9
            # the dead run's claims age past their time (CLAIM_TTL_S), as by the next cron run
            raw(os.environ["RFA_DASH_STATE_URL"],
                f"UPDATE notify_ledger SET claimed_at = claimed_at - {CLAIM_TTL_S + 1} "
                "WHERE state = 'claimed'")
            again = cli(*argv)
            assert again.returncode == 0, again.stderr
        finally:
            ctrl.stop()
        store.forget()
        ids = collections.Counter(m["Message-ID"] for m in sink.received)
        assert len(ids) == 3 and sum(v - 1 for v in ids.values()) <= 1, (n, ids)  # one repeat
        repeats += sum(v - 1 for v in ids.values())
        assert len([e for e in audit_entries() if e["action"] == "notify_sent"]) == 3, n
        assert audit.verify().ok, n
        if finished:
            break
    # the window SMTP cannot close was hit by some of the kills (and each time, one repeat)
    assert repeats > 0


def test_a_cache_write_killed_at_each_step_is_rebuilt(_private_state):
    """The Parquet cache is written whole or not at all: after a kill at any step of its
    write, the next run reads the export (and writes the entry itself)."""
    import shutil

    cache = _private_state / "cache"
    for n in range(1, MAX_STEPS):
        shutil.rmtree(cache, ignore_errors=True)
        r = killed_at(n, "check")
        if r.returncode != -9:
            break
        r = cli("check")
        assert r.returncode == 0 and "Traceback" not in r.stderr, (n, r.stderr)
    assert n > 3     # the entry's files, its rename and its folder were each a step

