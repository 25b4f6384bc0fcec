"""What a user name is, which names look alike, and how fast sign-in may be retried.

- **Names** are compared as typed after Unicode NFKC normalization and
  stripping (a full-width "ｄｓｍｂ1" is "dsmb1").
- **Look-alikes**: two names whose *skeletons* agree (case folded, the
  Cyrillic and Greek letters that look Latin mapped to Latin, 0 to o, 1 and
  | to l, rn to m) would let an account pass for another in the audit log;
  ``add-user`` refuses a new name that looks like an existing one. The table
  covers the common confusables of UTS #39, not all of them.
- **Client address**: the address a sign-in came from, as the audit trail
  records it and the throttle counts it (:func:`client_address`). Behind a
  reverse proxy the connection comes from the proxy; its ``X-Forwarded-For``
  header is believed only when the connection comes from an address listed in
  ``RFA_DASH_TRUSTED_PROXIES`` (a header from anyone else could be forged).
- **Throttling**: failed sign-ins within ``WINDOW_S`` are counted per user
  name *from one address* (``MAX_FAILURES``), per address on any names
  (``MAX_CLIENT_FAILURES``) and per user name from everywhere
  (``MAX_NAME_FAILURES``, high: guessing spread over many addresses); past a
  limit the attempts it covers are refused, without checking the password,
  until the window has passed. So one attacker who types wrong passwords
  under everyone's names locks out their own address, not the people signing
  in from theirs. The counts live in the state store, shared by every server,
  timed by the database's clock (a server whose clock is wrong neither
  lengthens nor shortens another's window).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import Any

from sqlalchemy import func, select

from rfa_dash.state import schema, store

MAX_FAILURES = 5           # per user name from one address
MAX_CLIENT_FAILURES = 20   # per address, on any names
MAX_NAME_FAILURES = 50     # per user name, from any address
WINDOW_S = 15 * 60
LOCAL = "127.0.0.1"        # Streamlit gives no address for a loopback connection

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


def _networks(trusted: list[str]) -> list[Any]:
    nets = []
    for t in trusted:
        try:
            nets.append(ipaddress.ip_network(t, strict=False))
        except ValueError:
            continue   # a typo trusts nobody (never everybody)
    return nets


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[str]) -> str:
    """The client's address: the connection's peer, or, when the peer is a trusted proxy,
    the last address in ``X-Forwarded-For`` that is not a trusted proxy itself.

    ``peer`` None is a loopback connection (as Streamlit reports it).

    Examples
    --------
    >>> client_address("203.0.113.7", "198.51.100.1", [])          # no proxy trusted
    '203.0.113.7'
    >>> client_address(None, "198.51.100.1, 203.0.113.9", ["127.0.0.1"])
    '203.0.113.9'
    >>> client_address("192.0.2.1", "198.51.100.1", ["127.0.0.1"])   # not the proxy
    '192.0.2.1'
    """
    who = peer or LOCAL
    nets = _networks(trusted)

    def is_proxy(addr: str) -> bool:
        try:
            a = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(a in n for n in nets)

    if not forwarded_for or not is_proxy(who):
        return who
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return who    # a malformed header names nobody: count the proxy
        if not is_proxy(hop):
            return hop
    return who


def keys(name: str, client: str) -> list[str]:
    """The throttle's counters a sign-in of ``name`` from ``client`` counts against.

    Example
    -------
    >>> keys("dana", "203.0.113.9")
    ['pair:dana@203.0.113.9', 'client:203.0.113.9', 'user:dana']
    """
    return [f"pair:{name}@{client}", f"client:{client}", f"user:{name}"]


class Throttle:
    """Failed sign-ins per key (:func:`keys`: ``pair:<name>@<address>``,
    ``client:<address>``, ``user:<name>``) in a window.

    The failures are rows of the state store, so every server behind a load
    balancer counts them, and a restart does not clear them. A failure is
    recorded in the caller's transaction (with its audit entry).
    """

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S,
                 max_client_failures: int = MAX_CLIENT_FAILURES,
                 max_name_failures: int = MAX_NAME_FAILURES):
        self.limits = {"pair": max_failures, "client": max_client_failures,
                       "user": max_name_failures}
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
            limit = self.limits.get(key.split(":", 1)[0], min(self.limits.values()))
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
        """Forget the failures of ``keys`` in ``conn``'s transaction (the user's own from
        that address, after a right password, written with the sign-in's audit entry; the
        address's and the name's counts stay, so that guessing is still slowed)."""
        conn.execute(schema.signin_failures.delete()
                     .where(schema.signin_failures.c.key.in_(keys)))


THROTTLE = Throttle()
