"""Files of earlier versions, imported into the store once: verified, never changed.

The import is a start-up step (:func:`rfa_dash.startup.import_earlier_files`, run
by the app and the command line), not a side effect of opening the store. This
module holds what the store itself can do: the once-per-file ledger (:func:`once`)
and the readers of the earlier audit log and cuts folder. The earlier users file
is read by :mod:`rfa_dash.auth` (its signature is the accounts' business).

- the signed users file (``RFA_DASH_USERS``): imported only when its signature
  matches; each account is signed anew in the store;
- the audit log (``RFA_DASH_AUDIT_LOG``, else ``audit.log`` in the state
  folder): each line checked and carried into the chain marked as imported, a
  line that cannot be read recorded as such (its number and why);
- the cuts folder (``RFA_DASH_CUTS_DIR``, else ``cuts/`` in the state folder):
  each cut whose files still match its fingerprint; one that does not is left
  out with a warning;
- notify's state file: by :func:`rfa_dash.notify.state.import_state_file`, when
  notify first runs with its configuration.

Each source is recorded in the ``moved_in`` table with its SHA-256, so it is
read once; the files themselves are left where they are, untouched.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rfa_dash.contract import TABLE_ORDER
from rfa_dash.state import audit, schema, store
from rfa_dash.state import cuts as stored

AUDIT_FIELDS = ("time", "user", "role", "action")


def _warn(line: str) -> None:
    print(f"rfa_dash: {line}", file=sys.stderr)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def once(u: str, source: Path, kind: str, move: Callable[[Connection, Path], str]) -> bool:
    """Run ``move(conn, source)`` in one transaction unless ``source`` was moved in before;
    False when it was."""
    src = str(source.resolve())
    with store.transaction(u) as conn:
        store.lock(conn, "moving_in")
        if conn.execute(select(schema.moved_in.c.source)
                        .where(schema.moved_in.c.source == src)).first():
            return False
        summary = move(conn, source)
        conn.execute(schema.moved_in.insert().values(
            source=src, kind=kind, sha256=_sha(source) if source.is_file() else "",
            at=audit.now(), summary=summary))
        audit.append(conn, "moved_in", "rfa_dash", "", detail=f"{kind} {src}: {summary}")
    return True


def audit_log(conn: Connection, path: Path) -> str:
    """Carry an earlier audit log's entries into the chain, marked as imported (a line
    that cannot be read is recorded as such); a summary line."""
    good = bad = 0
    with path.open("rb") as f:
        for i, raw in enumerate(f, start=1):
            try:
                e: Any = json.loads(raw.decode("utf-8"))
                if not isinstance(e, dict) or not all(isinstance(e.get(k), str)
                                                      for k in AUDIT_FIELDS):
                    raise ValueError("not an audit entry (time, user, role, action)")
            except (ValueError, UnicodeDecodeError) as exc:
                reason = str(exc).splitlines()[0][:200] if str(exc) else "unreadable"
                audit.append(conn, "imported_line_unreadable", "", "", imported=True,
                             detail=f"line {i} of {path.name}: {reason}")
                bad += 1
                continue
            audit.append(conn, e["action"], e["user"], e["role"], str(e.get("export", "")),
                         str(e.get("detail", "")), imported=True, time=e["time"])
            good += 1
    return f"{good} entries imported" + (f", {bad} unreadable line(s) recorded" if bad else "")


def legacy_cut_intact(folder: Path) -> tuple[bool, dict[str, Any]]:
    """Whether a cut folder of an earlier version still matches its fingerprint."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        want = manifest.pop("fingerprint")
    except (OSError, ValueError, KeyError, TypeError):
        return False, {}
    names = {f"{t}.parquet" for t in TABLE_ORDER} | {"manifest.json"}
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name.lower() in names:
            h.update(p.name.encode() + b"\0")
            h.update(json.dumps(manifest, indent=1).encode() + b"\n"
                     if p.name == "manifest.json" else p.read_bytes())
            h.update(b"\0")
    return h.hexdigest() == want, manifest | {"fingerprint": want}


def cuts_folder(conn: Connection, root: Path) -> str:
    """Insert each cut of an earlier cuts folder that still matches its fingerprint (one
    that does not is left out with a warning); a summary line."""
    moved = skipped = 0
    for folder in sorted(p for p in root.iterdir() if (p / "manifest.json").is_file()):
        ok, manifest = legacy_cut_intact(folder)
        if not ok:
            _warn(f"the saved cut {folder} does not match its fingerprint: not moved in")
            skipped += 1
            continue
        tables = {p.stem: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}
        stored.insert(conn, folder.name, manifest, tables, saved_by="moved in")
        audit.append(conn, "cut_imported", "rfa_dash", "", manifest.get("cut_of", ""),
                     detail=folder.name, imported=True)
        moved += 1
    return f"{moved} cut(s) imported" + (f", {skipped} damaged left out" if skipped else "")
