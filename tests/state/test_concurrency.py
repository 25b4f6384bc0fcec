"""Two of everything at once, on SQLite and on a real PostgreSQL server (issue 25): add-user,
cut saves, and notify runs against a real SMTP server on loopback."""

import asyncio
import collections

import pytest

from rfa_dash import auth
from rfa_dash.analysis import cuts
from rfa_dash.state import audit, store
from tests.helpers import audit_entries, ledger, usernames
from tests.state.helpers import smtp_on_loopback, start
from tests.unit.test_notify import DSMB, PI, Sink, _config, events  # noqa: F401


def _wait(procs):
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)   # closes stdin: the input is read
        out.append((p.returncode, stdout, stderr))
    return out


def test_four_add_users_at_once_keep_all_four(state_url):
    store.engine()   # the store made first: the race is over accounts, not the schema
    procs = [start("add-user", f"user{i}", "--role", "dsmb", "--password-stdin",
                   stdin=f"password number {i}\n") for i in range(4)]
    results = _wait(procs)
    assert [r[0] for r in results] == [0, 0, 0, 0], results
    store.forget()
    assert usernames() == ["user0", "user1", "user2", "user3"]
    for i in range(4):
        assert auth.authenticate(f"user{i}", f"password number {i}").role == "dsmb"
    assert sorted(e["detail"].split()[0] for e in audit_entries()
                  if e["action"] == "account_added") == ["user0", "user1", "user2", "user3"]
    assert audit.verify().ok


def test_two_cut_saves_at_once_give_one_cut(state_url):
    store.engine()
    results = _wait([start("save-cut", "--as-of", "2026-06-01") for _ in range(2)])
    assert [r[0] for r in results] == [0, 0], results
    said = sorted(r[2].strip().split(":")[1].strip() for r in results)
    assert said == ["already saved", "saved"], results
    store.forget()
    listed = cuts.list_cuts()
    assert len(listed) == 1 and listed["status"].tolist() == ["intact"]
    assert [e["action"] for e in audit_entries()] == ["cut_saved"]


class SlowSink(Sink):
    """Takes a moment over each message, so that two runs overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.3)
        return await super().handle_DATA(server, session, envelope)


def test_two_notify_runs_at_once_send_no_message_twice(state_url, tmp_path, events):  # noqa: F811
    sink = SlowSink()
    with smtp_on_loopback(sink) as port:
        cfg = _config(tmp_path / "cfg", port, [PI, DSMB])
        store.engine()
        results = _wait([start("notify", str(events), "--config", str(cfg),
                               "--as-of", "2025-12-01") for _ in range(2)])
    assert [r[0] for r in results] == [0, 0], results
    ids = collections.Counter(m["Message-ID"] for m in sink.received)
    assert ids and max(ids.values()) == 1, ids
    assert len(sink.received) == 6            # three alerts each, once
    store.forget()
    assert {k: len(v) for k, v in ledger().items()} == {"pi@example.org": 3,
                                                         "dsmb@example.org": 3}
    sent = [e for e in audit_entries() if e["action"] == "notify_sent"]
    assert len(sent) == 6 and audit.verify().ok


@pytest.mark.parametrize("n", [3])
def test_a_claim_of_a_run_that_died_is_taken_over_after_its_time(state_url, n):
    from rfa_dash.notify import state as ledger_state

    store.engine()
    a, b = ledger_state.Ledger(), ledger_state.Ledger()
    keys = [f"death:P{i}" for i in range(n)]
    assert a.claim("pi@example.org", keys)
    assert not b.claim("pi@example.org", keys)            # a is sending them
    assert keys[0] in b.keys("pi@example.org")
    real = store.clock
    try:   # a dies; after the claim's time (on the database's clock) another run may send
        store.clock = lambda conn: real(conn) + ledger_state.CLAIM_TTL_S + 1
        assert b.claim("pi@example.org", keys)
    finally:
        store.clock = real
    b.release("pi@example.org", keys)
    assert b.claim("pi@example.org", keys)
