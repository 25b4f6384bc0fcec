"""What a user name is, which names look alike, and how fast sign-in may be retried.

- **Names** are compared as typed after Unicode NFKC normalization and
  stripping (a full-width "ｄｓｍｂ1" is "dsmb1").
- **Look-alikes**: two names whose *skeletons* agree (case folded, the
  Cyrillic and Greek letters that look Latin mapped to Latin, 0 to o, 1 and
  | to l, rn to m) would let an account pass for another in the audit log;
  ``add-user`` refuses a new name that looks like an existing one. The table
  covers the common confusables of UTS #39, not all of them.
- **Throttling**: after ``MAX_FAILURES`` failed sign-ins within ``WINDOW_S``
  for one user name, or ``MAX_CLIENT_FAILURES`` from one client address,
  further attempts for it are refused until the window has passed, without
  checking the password. Behind a reverse proxy every client has the proxy's
  address (Streamlit reads no forwarding header), hence the higher client
  limit. The counts live in the state store, shared by every server, timed by
  the database's clock (a server whose clock is wrong neither lengthens nor
  shortens another's window).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import func, select

from rfa_dash.state import schema, store

MAX_FAILURES = 5           # per user name
MAX_CLIENT_FAILURES = 20   # per client address: behind a proxy every user shares one
WINDOW_S = 15 * 60

_CONFUSABLE = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    # digits and signs that pass for letters
    "0": "o", "1": "l", "|": "l", "!": "l", "5": "s", "$": "s",
    # Latin look-alikes
    "ı": "i", "ł": "l", "ſ": "s", "ß": "ss",
})


def normalize(name: str) -> str:
    """A user name as stored and compared: NFKC, surrounding spaces stripped."""
    return unicodedata.normalize("NFKC", name).strip()


def skeleton(name: str) -> str:
    """What ``name`` looks like: equal skeletons are names a reader cannot tell apart."""
    s = unicodedata.normalize("NFKD", normalize(name).casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))   # é -> e
    s = s.translate(_CONFUSABLE)
    s = s.replace("rn", "m").replace("vv", "w").replace("i", "l")
    return "".join(c for c in s if not c.isspace() and c not in "-_.")


def look_alike(name: str, existing: list[str]) -> str | None:
    """An existing name (other than ``name`` itself) that ``name`` looks like, if any."""
    want = skeleton(name)
    for other in existing:
        if other != normalize(name) and skeleton(other) == want:
            return other
    return None


class Throttle:
    """Failed sign-ins per key (``"user:<name>"``, ``"client:<address>"``) in a window.

    The failures are rows of the state store, so every server behind a load
    balancer counts them, and a restart does not clear them. A failure is
    recorded in the caller's transaction (with its audit entry).
    """

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S,
                 max_client_failures: int = MAX_CLIENT_FAILURES):
        self.max_failures = max_failures
        self.max_client_failures = max_client_failures
        self.window_s = window_s

    def blocked(self, keys: list[str], now: float | None = None) -> float:
        """Seconds until the first of ``keys`` may try again (0: none is blocked); the
        window is measured on the database's clock (``now`` for tests)."""
        f = schema.signin_failures
        with store.reading() as conn:
            now = store.clock(conn) if now is None else now
            rows = conn.execute(select(f.c.key, func.count(), func.min(f.c.at))
                                .where(f.c.key.in_(keys), f.c.at > now - self.window_s)
                                .group_by(f.c.key)).all()
        wait = 0.0
        for key, n, first in rows:
            limit = self.max_client_failures if key.startswith("client:") \
                else self.max_failures
            if n >= limit:
                wait = max(wait, self.window_s - (now - first))
        return wait

    def failed(self, conn: Any, keys: list[str], now: float | None = None) -> None:
        """Count one failure for each of ``keys`` in ``conn``'s transaction, at the
        database's time."""
        now = store.clock(conn) if now is None else now
        f = schema.signin_failures
        conn.execute(f.delete().where(f.c.at <= now - self.window_s))   # bounded
        conn.execute(f.insert(), [{"key": k, "at": now} for k in keys])

    def succeeded(self, conn: Any, keys: list[str]) -> None:
        """Forget the failures of ``keys`` in ``conn``'s transaction (the user's own, after
        a right password, written with the sign-in's audit entry; a client's count stays,
        so that guessing many names is still slowed)."""
        conn.execute(schema.signin_failures.delete()
                     .where(schema.signin_failures.c.key.in_(keys)))


THROTTLE = Throttle()
