"""Start-up steps of a server process or a command, run before anything else uses the store.

:func:`import_earlier_files` imports what exists of an earlier version's files (the
audit log, the signed users file, the cuts folder) into the state store, each once
(:mod:`rfa_dash.state.earlier_files` keeps the ledger). The router (``app.py``) and
the command line call it; opening the store does not, so the store stays the ground
floor and the first use of it pulls in no account or cut code.

Example
-------
>>> import tempfile
>>> u = f"sqlite:///{tempfile.mkdtemp()}/state.sqlite"
>>> import_earlier_files(u)    # no earlier files here: nothing to import
[]
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rfa_dash import auth, settings
from rfa_dash.state import earlier_files, schema, store

_DONE: set[str] = set()
_LOCK = threading.Lock()


def _users(conn: Connection, path: Path) -> str:
    users = auth.read_users_file(path)   # raises when the signature does not match
    have = {r.username for r in conn.execute(select(schema.accounts.c.username))}
    n = 0
    for u in users:
        if u["username"] not in have:
            auth.insert_account(conn, u["username"], u.get("email", ""), u["role"],
                                u["password_hash"])
            n += 1
    return f"{n} account(s) imported, {len(users) - n} already in the store"


def import_earlier_files(u: str | None = None) -> list[str]:
    """Import what exists of the earlier files into the store ``u`` (the configured one
    when None), each once, the audit log first so the earlier history leads the chain.
    Done once per process and store; the files are left untouched.

    Returns
    -------
    list of str
        The kinds imported by this call (``audit``, ``users``, ``cuts``).

    Raises
    ------
    StoreError
        The store cannot be opened or written.
    """
    u = u or store.url()
    with _LOCK:
        if u in _DONE:
            return []
        done: list[str] = []
        log = settings.audit_log()
        if log.is_file() and earlier_files.once(u, log, "audit", earlier_files.audit_log):
            done.append("audit")
        users = settings.users_file()
        if users is not None and users.is_file():
            try:
                if earlier_files.once(u, users, "users", _users):
                    done.append("users")
            except auth.AuthError as exc:   # one line; the app goes on without them
                print(f"rfa_dash: the users file {users} was not moved in: "
                      f"{str(exc).splitlines()[0]}", file=sys.stderr)
        root = settings.cuts_dir()
        if root.is_dir() and any((p / "manifest.json").is_file() for p in root.iterdir()):
            if earlier_files.once(u, root, "cuts", earlier_files.cuts_folder):
                done.append("cuts")
        _DONE.add(u)
        return done


def check_folders() -> None:
    """Say at start-up, in one line each, which folder the server cannot write (naming its
    setting), instead of failing later on a visitor's page."""
    global _FOLDERS_CHECKED
    if _FOLDERS_CHECKED:   # once per process, not on every rerun
        return
    _FOLDERS_CHECKED = True
    from rfa_dash.ingest import cache

    cache.check_writable()


_FOLDERS_CHECKED = False


def forget() -> None:
    """Let the next call look at the earlier files again (tests, after ``store.forget``)."""
    with _LOCK:
        _DONE.clear()
