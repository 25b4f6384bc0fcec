"""A consistent copy of an SQLite store while the app runs (SQLite's online backup).

A PostgreSQL store is backed up with ``pg_dump`` (docs/deploy.md).

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> backup(d / "copy.sqlite", f"sqlite:///{d / 'state.sqlite'}") > 0
True
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from rfa_dash import files, settings
from rfa_dash.state import store


class BackupError(Exception):
    """The store cannot be copied (one line)."""


def backup(out: Path, u: str | None = None) -> int:
    """Copy the store to ``out`` (whole or not at all); return its size in bytes."""
    u = u or store.url()
    src = store.sqlite_path(u)
    if src is None:
        raise BackupError("the state store is PostgreSQL: back it up with pg_dump "
                          "(docs/deploy.md)")
    store.engine(u)   # opened (and migrated) first, so the copy is of a current store
    out = Path(out).resolve()
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(src, timeout=settings.state_wait_s())
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        files.fsync_path(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
        files.fsync_path(out.parent)
    except (OSError, sqlite3.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"cannot copy the state store to {out}: {exc}") from None
    return out.stat().st_size
