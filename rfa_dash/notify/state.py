"""What was sent to whom: notify's ledger in the state store, claimed before sending.

Overlapping runs (cron beside a manual run, or two servers) never send one
alert twice. For each message, in this order:

1. **claim**: in one transaction, its keys (``digest:<date>``, one per alert
   record) are inserted for the recipient as *claimed* by this run; when any
   is already claimed or sent, the message is another run's and is skipped.
2. **send**: the SMTP server accepts or refuses it.
3. **record** (accepted): in one transaction the keys become *sent* and the
   audit entry is written; **release** (refused): the claim is deleted, so the
   next run tries again.

The one window SMTP cannot close: the server accepted and the process died
before step 3. Its claim then expires after :data:`CLAIM_TTL_S` and one later
run sends the message again, with the same Message-ID (docs/notify.md).

An earlier version's JSON state file is moved into the ledger the first time
notify runs with its configuration (:func:`import_state_file`), and left untouched.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rfa_dash.state import audit as trail
from rfa_dash.state import earlier_files, schema, store

CLAIM_TTL_S = 15 * 60   # a claim older than this belongs to a run that died


def _held(r: Any, now: float) -> bool:
    """A ledger row that keeps a message from being sent: sent, or claimed by a run still
    within its time."""
    return bool(r.state == "sent" or r.claimed_at > now - CLAIM_TTL_S)


class StateError(ValueError):
    """The earlier state file cannot be read."""


class Ledger:
    """The ledger as one run sees it (``run`` names the run in its claims).

    Claims are timed by the database's clock (:func:`rfa_dash.state.store.clock`), so
    a server whose clock runs ahead cannot judge another run's claim expired. Each
    step is retried once when the connection dropped (a database restarted): each
    looks at what its own run already wrote, so a step that did commit before the
    connection dropped is not done twice.
    """

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex

    def keys(self, email: str) -> set[str]:
        """Keys sent to ``email``, or claimed by a run still within its time."""
        led = schema.notify_ledger

        def read() -> set[str]:
            with store.reading() as conn:
                now = store.clock(conn)
                rows = conn.execute(select(led.c.key, led.c.state, led.c.claimed_at)
                                    .where(led.c.email == email))
                return {r.key for r in rows if _held(r, now)}

        return store.retrying(read)

    def claim(self, email: str, keys: list[str]) -> bool:
        """Claim ``keys`` for ``email`` in one transaction; False when another run has
        (or sent) any of them."""
        led = schema.notify_ledger

        def claim() -> bool:
            with store.transaction() as conn:
                store.lock(conn, f"notify:{email}")
                now = store.clock(conn)
                rows = list(conn.execute(select(led.c.key, led.c.state, led.c.claimed_at,
                                                led.c.run)
                                         .where(led.c.email == email, led.c.key.in_(keys))))
                if rows and all(r.run == self.run and r.state == "claimed" for r in rows) \
                        and len(rows) == len(keys):
                    return True   # this run's own claim, committed before a dropped line
                if any(_held(r, now) for r in rows):
                    return False
                if rows:   # expired claims of a run that died
                    conn.execute(led.delete().where(led.c.email == email,
                                                    led.c.key.in_(keys)))
                conn.execute(led.insert(), [{"email": email, "key": k, "state": "claimed",
                                             "run": self.run, "claimed_at": now,
                                             "sent_at": "", "export": ""} for k in keys])
            return True

        return store.retrying(claim)

    def record(self, email: str, keys: list[str], export: str, role: str, detail: str) -> None:
        """Mark the claimed ``keys`` sent, with the audit entry, in one transaction (once:
        a repeat after a dropped connection finds them sent and adds nothing)."""
        led = schema.notify_ledger

        def record() -> None:
            with store.transaction() as conn:
                mine = (led.c.email == email) & led.c.key.in_(keys) & (led.c.run == self.run)
                claimed = conn.execute(select(led.c.key).where(
                    mine & (led.c.state == "claimed"))).all()
                if not claimed:
                    return
                conn.execute(led.update().where(mine)
                             .values(state="sent", sent_at=trail.now(), export=export))
                trail.append(conn, "notify_sent", email, role, export, detail=detail)

        store.retrying(record)

    def release(self, email: str, keys: list[str]) -> None:
        """Give the claim up (the server refused the message): the next run tries again."""
        led = schema.notify_ledger

        def release() -> None:
            with store.transaction() as conn:
                conn.execute(led.delete().where(led.c.email == email, led.c.key.in_(keys),
                                                led.c.run == self.run,
                                                led.c.state == "claimed"))

        store.retrying(release)


def _state_file(conn: Connection, path: Path) -> str:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        sent = {str(e): dict(v) for e, v in data["sent"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"the notify state file {path} cannot be read ({exc}); move it "
                         "away to start afresh (every alert is then sent again)") from None
    led = schema.notify_ledger
    n = 0
    for email, keys in sent.items():
        for k, v in keys.items():
            conn.execute(store.insert(conn, led).values(
                email=email, key=str(k), state="sent", run="moved in", claimed_at=0.0,
                sent_at=str((v or {}).get("at", "")), export=str((v or {}).get("export", "")))
                .on_conflict_do_nothing(index_elements=["email", "key"]))
            n += 1
    return f"{n} sent key(s) of {len(sent)} recipient(s) imported"


def import_state_file(path: Path) -> None:
    """Import an earlier version's notify state file once (it is left untouched)."""
    if path.exists() and not path.is_file():   # a folder in its place: not "no file"
        raise StateError(f"the notify state file {path} is not a file; move it away to start "
                         "afresh (every alert is then sent again), or set state_file")
    if path.is_file():
        earlier_files.once(store.url(), path, "notify", _state_file)
