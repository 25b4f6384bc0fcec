"""Two app server processes sharing one PostgreSQL store (issue 25): a failed sign-in is
counted by both, a cut saved on one is listed on the other, the alert ledger is one.

Each "server" is a process of its own running the real app script once (Streamlit's
AppTest, tests/state/app_process.py), with its own engine and connection pool: what
one writes, the other can only know through the store.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rfa_dash import auth
from rfa_dash.notify.state import Ledger
from rfa_dash.state import audit, store

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "tests" / "state" / "app_process.py")


@pytest.fixture()
def shared(pg_server, monkeypatch):
    url = pg_server.create(f"servers{os.getpid()}")
    monkeypatch.setenv("RFA_DASH_STATE_URL", url)
    monkeypatch.setenv("RFA_DASH_SECRET", "shared-secret-of-both-servers")
    auth.add_user("dana", "correct horse battery", "dsmb", "dana@example.org")
    yield url
    store.forget()


def server(*args: str) -> dict:
    r = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                       timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_two_servers_share_failures_cuts_and_the_ledger(shared):
    # five failed sign-ins for dana, split over the two servers...
    for i in range(5):
        got = server("sign_in", "dana", f"wrong guess {i}")
        assert got == {"errors": ["Wrong user name or password."], "signed_in": False}
    # ...so that the right password now waits, whichever server it reaches
    got = server("sign_in", "dana", "correct horse battery")
    assert not got["signed_in"] and got["errors"][0].startswith("Too many failed sign-ins")
    # a cut saved on one server is listed on the other, and saving it there again is one cut
    said = server("save_cut", "dana")["said"]
    assert len(said) == 1 and said[0].startswith("Saved 2026-11-16_")
    name = said[0].removeprefix("Saved ").rstrip(".")
    assert server("list_cuts", "dana") == {"cuts": [name], "exception": False}
    said = server("save_cut", "dana")["said"]
    assert said == [f"{name} was saved already (by you or another session): one cut."]
    # one ledger: what one server's notify claimed, the other's sees
    assert Ledger().claim("pi@example.org", ["death:P1"])
    r = subprocess.run([sys.executable, "-c", "from rfa_dash.notify.state import Ledger; "
                        "print(Ledger().claim('pi@example.org', ['death:P1']))"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.stdout.strip() == "False", r.stderr
    actions = [e.action for e in _entries()]
    assert actions.count("sign_in_failed") == 5 and actions.count("sign_in_throttled") == 1
    assert actions.count("cut_saved") == 1 and audit.verify().ok


def _entries():
    from sqlalchemy import select

    from rfa_dash.state import schema

    with store.reading() as conn:
        return list(conn.execute(select(schema.audit).order_by(schema.audit.c.seq)))
