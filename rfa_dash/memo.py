"""A bounded, expiring, thread-safe memo shared by every session of the app.

The dashboard's per-rerun work is reading results that were computed once:
the small frames of a data cut, the figures drawn from them and the Arrow
tables sent for them. Streamlit's ``st.cache_data`` hashes every argument on
every call and unpickles a fresh copy of the value on every read; on a warm
rerun of a page that costs more than everything else the page does. A
:class:`Memo` looks values up by a key the caller builds cheaply and hands out
the stored object itself, so what it stores is treated as read-only (pages
never modify results; ``tests/app/test_app.py`` checks that rendering every page
as every role leaves the stored results unchanged).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Memo:
    """At most ``max_entries`` values, each kept for ``ttl`` seconds after it was made.

    Parameters
    ----------
    max_entries : int
        Entries kept; the least recently used one goes first.
    ttl : float
        Seconds an entry is served after it was computed.
    clock : callable, optional
        Monotonic clock (injected by tests).

    Notes
    -----
    One computation per key: sessions asking for a key being computed wait
    for that result instead of computing it again. A computation that raises
    stores nothing.
    """

    def __init__(self, max_entries: int, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def _fresh(self, key: Hashable, valid) -> tuple[bool, Any]:
        # called with self._lock held
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        if self._clock() - entry[0] > self.ttl or (valid is not None and not valid(entry[1])):
            del self._entries[key]
            return False, None
        self._entries.move_to_end(key)
        return True, entry[1]

    def get(self, key: Hashable, make: Callable[[], Any],
            valid: Callable[[Any], bool] | None = None) -> Any:
        """The value stored under ``key``, made by ``make()`` when absent or expired.

        ``valid(value)``, when given, can reject a stored value (it is made again).
        """
        with self._lock:
            found, value = self._fresh(key, valid)
            if found:
                return value
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:  # another session may have made it meanwhile
                found, value = self._fresh(key, valid)
            if found:
                return value
            try:
                value = make()
                with self._lock:
                    self._entries[key] = (self._clock(), value)
                    self._entries.move_to_end(key)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value

    def known(self, key: Hashable) -> bool:
        """True when ``key`` is stored and fresh, or being made."""
        with self._lock:
            entry = self._entries.get(key)
            fresh = entry is not None and self._clock() - entry[0] <= self.ttl
            return fresh or key in self._computing

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
