"""The audit trail: append-only, each entry chained to the one before by a keyed hash.

Entry *n* carries ``HMAC-SHA256(key, [n, time, user, role, action, export,
detail, imported, key_id, hash of n-1])``; the head record holds the last
entry's number and hash, signed too. So an entry changed, removed, inserted
or moved, and a trail cut off at its end, are all found by :func:`verify`
(``python -m rfa_dash verify-audit``). The database refuses UPDATE and
DELETE on the table (triggers). Whoever holds the key could forge a whole
new chain: the key stays with the servers (``RFA_DASH_SECRET``).

Example
-------
>>> import tempfile
>>> from rfa_dash.state import store
>>> url = f"sqlite:///{tempfile.mkdtemp()}/state.sqlite"
>>> with store.transaction(url) as conn:
...     append(conn, "sign_in", "alice", "dsmb", detail="client 127.0.0.1")
1
>>> verify(url).ok, verify(url).checked
(True, 1)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rfa_dash.state import schema, store

GENESIS = "0" * 64   # the "previous hash" of the first entry


def now() -> str:
    """The time of an entry: UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def key_id(key: bytes) -> str:
    """Which key signed an entry (a digest of it: the key itself is never stored)."""
    return hashlib.sha256(b"rfa_dash key id\0" + key).hexdigest()[:16]


def _mac(key: bytes, parts: list[Any]) -> str:
    canonical = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _content(e: Any) -> list[Any]:
    return [e.seq, e.time, e.user, e.role, e.action, e.export, e.detail, bool(e.imported),
            e.key_id, e.prev_hash]


@dataclass(frozen=True)
class _Entry:
    seq: int
    time: str
    user: str
    role: str
    action: str
    export: str
    detail: str
    imported: bool
    key_id: str
    prev_hash: str


def append(conn: Connection, action: str, user: str, role: str, export: str = "",
           detail: str = "", *, imported: bool = False, time: str | None = None) -> int:
    """Add one entry in the caller's transaction; return its number.

    The entry is committed with the action it records, or not at all.
    """
    store.lock(conn, "audit")
    k = store.key_for(conn)
    last = conn.execute(select(schema.audit.c.seq, schema.audit.c.hash)
                        .order_by(schema.audit.c.seq.desc()).limit(1)).first()
    e = _Entry(seq=(last.seq if last else 0) + 1, time=time or now(), user=user, role=role,
               action=action, export=export or "", detail=detail or "", imported=imported,
               key_id=key_id(k), prev_hash=last.hash if last else GENESIS)
    h = _mac(k, _content(e))
    conn.execute(schema.audit.insert().values(**e.__dict__, hash=h))
    head = {"seq": e.seq, "hash": h, "mac": _mac(k, ["head", e.seq, h])}
    if conn.execute(schema.audit_head.update().where(schema.audit_head.c.id == 1)
                    .values(**head)).rowcount == 0:
        conn.execute(schema.audit_head.insert().values(id=1, **head))
    return e.seq


def record(action: str, user: str, role: str, export: str = "", detail: str = "") -> None:
    """One entry in a transaction of its own (for events that change nothing else, such
    as a report downloaded)."""
    with store.transaction() as conn:
        append(conn, action, user, role, export, detail)


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: ``ok``, the entries checked, the first break."""

    ok: bool
    checked: int
    problem: str = ""


def _describe(e: Any) -> str:
    return f"audit entry {e.seq} ({e.time} {e.action} by {e.user or '-'})"


def verify(u: str | None = None) -> Verdict:
    """Walk the trail from its first entry; stop at the first that breaks the chain.

    Example
    -------
    See the module's example.
    """
    u = u or store.url()
    k = store.key(u)
    mine = key_id(k)
    prev_hash, expected, last = GENESIS, 1, None
    with store.reading(u) as conn:
        rows = conn.execution_options(yield_per=1000).execute(
            select(schema.audit).order_by(schema.audit.c.seq))
        for e in rows:
            if e.seq != expected:
                return Verdict(False, expected - 1,
                               f"audit entry {expected} is missing: the entry after "
                               f"{expected - 1} is {e.seq} (entries were removed)")
            if e.key_id != mine:
                return Verdict(False, expected - 1,
                               f"{_describe(e)} was signed with another key (key id "
                               f"{e.key_id}; this server's is {mine}): was "
                               f"{store.settings.SECRET.name} changed?")
            if not hmac.compare_digest(_mac(k, _content(e)), e.hash):
                return Verdict(False, expected - 1,
                               f"{_describe(e)} was changed after it was written (its hash "
                               "does not match its content)")
            if e.prev_hash != prev_hash:
                return Verdict(False, expected - 1,
                               f"{_describe(e)} does not follow entry {e.seq - 1} (the chain "
                               "is broken: an entry was removed, inserted or moved)")
            prev_hash, expected, last = e.hash, expected + 1, e
        head = conn.execute(select(schema.audit_head)).first()
    n = expected - 1
    if head is None:
        if n:
            return Verdict(False, n, f"the trail's head record is missing ({n} entries)")
        return Verdict(True, 0)
    if not hmac.compare_digest(_mac(k, ["head", head.seq, head.hash]), head.mac):
        return Verdict(False, n, "the trail's head record was changed after it was written")
    if head.seq > n:
        return Verdict(False, n, f"the trail ends at entry {n}, but entry {head.seq} was "
                                 f"written: entries {n + 1} to {head.seq} were cut off")
    if head.seq < n or (last is not None and head.hash != last.hash):
        return Verdict(False, n, f"entries after {head.seq} were not written by the dashboard")
    return Verdict(True, n)
