"""The store's one exception, importable without loading the database layer (the command
line catches it on every command; most never open the store).

A :class:`StoreError` has two faces. ``str(exc)`` is for the operator (the command
line, the server's log): what failed, the store's URL without its password, the
driver's first line. :meth:`StoreError.public` is for a page: what it means for the
person in front of it, naming no path, URL, host, user or driver text (a visitor who
has not signed in may be anyone).
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["busy", "full", "unavailable", "failed"]

_PUBLIC: dict[str, str] = {
    "busy": "The dashboard's records are busy (another task is writing them); try again "
            "in a minute.",
    "full": "The dashboard's records cannot be written: the server's disk is full. Tell the "
            "dashboard's administrator.",
    "unavailable": "The dashboard's records are unavailable just now; try again shortly. "
                   "If it lasts, tell the dashboard's administrator.",
    "failed": "The dashboard's records could not be read or written; tell the dashboard's "
              "administrator.",
}


class StoreError(Exception):
    """The store cannot be opened, read or written (one line, no password).

    ``kind`` says why, as far as the driver told: ``busy`` (another writer held the
    lock past the wait), ``full`` (no space), ``unavailable`` (the database cannot be
    reached, or the connection dropped), ``failed`` (anything else).

    Example
    -------
    >>> e = StoreError("the state store sqlite:////srv/x.sqlite failed: database is locked",
    ...                kind="busy")
    >>> "sqlite" in e.public()
    False
    """

    def __init__(self, detail: str, kind: Kind = "failed") -> None:
        super().__init__(detail)
        self.kind: Kind = kind

    def public(self) -> str:
        """What a page may say: the meaning, never the URL, path or driver's text."""
        return _PUBLIC[self.kind]
