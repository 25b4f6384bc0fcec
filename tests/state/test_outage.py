"""The store under contention and outage (issue 38): readers never wait, a write that
cannot get the lock ends within ``RFA_DASH_STATE_WAIT_S`` with one plain line, no page
names the store, a restarted PostgreSQL costs a notify run nothing, and a server whose
clock runs 20 minutes ahead sends no alert twice (Debian's ``faketime``)."""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rfa_dash import auth
from rfa_dash.state import audit, store
from tests.helpers import audit_entries, ledger
from tests.state.helpers import ROOT, cli, smtp_on_loopback, start
from tests.state.test_concurrency import SlowSink, _wait
from tests.unit.test_notify import DSMB, PI, _config, _free_port, events  # noqa: F401

APP = str(ROOT / "app.py")
HOLD = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")       # the write lock, as a backup or a long writer holds it
con.execute("INSERT INTO signin_failures (key, at) VALUES ('held', 0)")
print("held", flush=True)
sys.stdin.readline()                 # until the test lets go
con.execute("ROLLBACK")
"""


@pytest.fixture
def held(tmp_path, monkeypatch):
    """An SQLite store with an account, its write lock held by another process; the
    store's writes wait 2 s. Yields the holding process (``.poll()`` is None while held)."""
    path = tmp_path / "state" / "state.sqlite"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("RFA_DASH_STATE_URL", url)
    monkeypatch.setenv("RFA_DASH_SECRET", "outage-secret")
    monkeypatch.setenv("RFA_DASH_STATE_WAIT_S", "2")
    auth.add_user("dana", "dsmb password 1", "dsmb")
    store.forget()   # the app opens the store afresh, behind the lock
    script = tmp_path / "hold.py"
    script.write_text(HOLD, encoding="utf-8")
    p = subprocess.Popen([sys.executable, str(script), str(path)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    yield p
    if p.poll() is None:
        p.communicate("\n", timeout=30)


def _texts(at: AppTest) -> list[str]:
    return [e.value for e in [*at.error, *at.warning, *at.info, *at.markdown, *at.title]]


def test_a_held_write_lock_holds_up_no_page_and_a_sign_in_ends_in_one_line(held, tmp_path):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.label for t in at.text_input] == ["User name", "Password"]   # the form, drawn
    at.text_input(key="signin_user").input("dana")
    at.text_input(key="signin_password").input("dsmb password 1")
    at.button[0].click().run()
    assert held.poll() is None               # ended while the lock was still held
    said = [e.value for e in at.error]
    assert len(said) == 1 and said[0].startswith("The dashboard's records are busy"), said
    assert "The sign-in was not recorded" in said[0]
    assert "user" not in at.session_state
    for text in _texts(at):
        assert "sqlite" not in text and str(tmp_path) not in text and "locked" not in text
    held.communicate("\n", timeout=30)       # the writer finishes: the sign-in goes through
    at.button[0].click().run()
    assert at.session_state["user"].username == "dana"
    assert [e["action"] for e in audit_entries()][-1] == "sign_in"


def test_add_user_behind_a_held_lock_is_one_line_and_exit_2(held):
    r = cli("add-user", "erin", "--role", "dsmb", "--password-stdin",
            stdin="another password 2\n")
    assert held.poll() is None
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("rfa_dash: the state store ") and "database is locked" in lines[0]


def test_postgresql_down_is_a_message_on_the_page_and_the_detail_in_the_log(monkeypatch,
                                                                             caplog):
    port = _free_port()   # nothing listens there
    monkeypatch.setenv("RFA_DASH_STATE_URL",
                       f"postgresql://rfa_owner:s3cret-pw@127.0.0.1:{port}/trialdb")
    monkeypatch.setenv("RFA_DASH_SECRET", "outage-secret")
    store.forget()
    with caplog.at_level(logging.ERROR, logger="rfa_dash.store"):
        at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    said = [e.value for e in at.error]
    assert len(said) == 1 and said[0].startswith("The dashboard's records are unavailable"), said
    for text in _texts(at):
        for leak in ("postgres", "rfa_owner", "s3cret", "trialdb", "127.0.0.1", str(port),
                     "connection"):
            assert leak not in text, (leak, text)
    logged = caplog.text
    assert "rfa_owner" in logged and str(port) in logged and "trialdb" in logged
    assert "s3cret" not in logged


@pytest.fixture
def own_pg():
    """A PostgreSQL server of this test's own (it is restarted: the shared one is not)."""
    from tests.pg_server import Server

    server = Server().start()
    yield server
    server.stop()


def _use_store(monkeypatch, url: str) -> None:
    monkeypatch.setenv("RFA_DASH_STATE_URL", url)
    monkeypatch.setenv("RFA_DASH_SECRET", "outage-secret")


def _restart(server) -> None:
    server._run(str(server.bin / "pg_ctl"), "-D", str(server.data), "-m", "fast", "-w",
                "-t", "60", "-l", str(server.root / "server.log"), "restart")


def test_postgresql_restarted_during_notify_loses_and_repeats_nothing(  # noqa: F811
        own_pg, tmp_path, events, monkeypatch):  # noqa: F811
    _use_store(monkeypatch, own_pg.create("notify"))
    sink = SlowSink()
    with smtp_on_loopback(sink) as port:
        cfg = _config(tmp_path / "cfg", port, [PI, DSMB])
        store.engine()
        run = start("notify", str(events), "--config", str(cfg), "--as-of", "2025-12-01")
        deadline = time.monotonic() + 60
        while len(sink.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        _restart(own_pg)                      # mid-run: its connection drops
        [(rc, _out, err)] = _wait([run])
        assert "Traceback" not in err, err
        assert rc == 0 or (rc == 2 and len(err.strip().splitlines()) == 1), (rc, err)
        again = cli("notify", str(events), "--config", str(cfg), "--as-of", "2025-12-01")
        assert again.returncode == 0, again.stderr
    ids = collections.Counter(m["Message-ID"] for m in sink.received)
    assert len(ids) == 6 and sum(ids.values()) <= 7, ids    # none lost; at most one repeated
    store.forget()
    assert {k: len(v) for k, v in ledger().items()} == {"pi@example.org": 3,
                                                         "dsmb@example.org": 3}
    assert len([e for e in audit_entries() if e["action"] == "notify_sent"]) == 6
    assert audit.verify().ok


class SlowerSink(SlowSink):
    """A second over each message: the run under faketime starts while the other sends."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.7)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.skipif(shutil.which("faketime") is None, reason="Debian's faketime is missing "
                    "(tests/install_debian_packages.sh installs it)")
def test_a_server_clock_20_minutes_ahead_sends_no_alert_twice(  # noqa: F811
        pg_server, tmp_path, events, monkeypatch):  # noqa: F811
    _use_store(monkeypatch, pg_server.create("skew"))
    sink = SlowerSink()
    with smtp_on_loopback(sink) as port:
        argv = ["notify", str(events), "--config", str(_config(tmp_path / "cfg", port,
                                                                [PI, DSMB])),
                "--as-of", "2025-12-01"]
        store.engine()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        honest = start(*argv)
        deadline = time.monotonic() + 60
        while not sink.received and honest.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)                   # the honest run has claimed and is sending
        ahead = subprocess.Popen(["faketime", "-f", "+20m", sys.executable, "-m", "rfa_dash",
                                  *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
        results = _wait([honest, ahead])
    assert [r[0] for r in results] == [0, 0], results
    ids = collections.Counter(m["Message-ID"] for m in sink.received)
    assert len(ids) == 6 and max(ids.values()) == 1, ids
    store.forget()
    assert len([e for e in audit_entries() if e["action"] == "notify_sent"]) == 6
    assert audit.verify().ok


def test_the_clock_is_the_databases(state_url):
    with store.reading() as conn:
        assert abs(store.clock(conn) - time.time()) < 5


def test_a_store_error_says_its_kind_without_the_url():
    from rfa_dash.state.errors import StoreError

    url = "postgresql://rfa:pw@db.internal:5432/rfa"
    e = store._failure(url, Exception("connection failed: connection refused"))
    assert e.kind == "unavailable" and "pw" not in str(e) and "db.internal" in str(e)
    assert "db.internal" not in e.public()
    assert store._failure(url, Exception("database is locked")).kind == "busy"
    assert store._failure(url, Exception("database or disk is full")).kind == "full"
    assert StoreError("x").public().startswith("The dashboard's records could not")
    assert Path(APP).is_file()
