"""Saved data cuts in the store: written in one transaction, every read checked.

A cut is a row of ``cuts`` (the data cut, the source export's SHA-256, who saved it
and when, the code and protocol that saved it) and one Parquet table per contract
table in ``cut_tables``, each with its SHA-256. Saving is one transaction with its
audit entry: two sessions saving the same cut get one cut, and an unfinished save is
never listed. Every read checks each table against its digest: a cut changed
afterwards is *damaged*, listed as such, never read: a table changed (its digest),
removed or added (the cut's fingerprint over its tables' digests), or a cut rewritten
whole with new digests and fingerprint (the fingerprint its ``cut_saved`` audit entry
recorded, chained with the store's key). What the tables hold (the rows
of an export as of a date) and how two cuts compare are
:mod:`rfa_dash.analysis.cuts`'; this module only stores bytes.

Example
-------
>>> import tempfile
>>> u = f"sqlite:///{tempfile.mkdtemp()}/state.sqlite"
>>> save("2026-01-01_abc", {"exported_at": "2026-01-01"}, {"randomization": b"PAR1"},
...      "ann", "dsmb", "abc", u=u)
Saved(name='2026-01-01_abc', created=True)
>>> [(r["cut"], r["status"]) for r in listing(u=u)]
[('2026-01-01_abc', 'intact')]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rfa_dash import files
from rfa_dash.contract import TABLE_ORDER
from rfa_dash.state import audit as trail
from rfa_dash.state import schema, store

# the listing's columns, in order
COLUMNS = ("cut", "as_of", "saved_at", "saved_by", "source", "status")


class CutDamaged(ValueError):
    """A saved cut whose content no longer matches its digests (or no such cut)."""


@dataclass(frozen=True)
class Saved:
    """What :func:`save` did: the cut's name, and whether this call saved it."""

    name: str
    created: bool


def fingerprint(digests: dict[str, str]) -> str:
    """One SHA-256 over the tables' digests, in table order."""
    h = hashlib.sha256()
    for t in sorted(digests):
        h.update(f"{t}\0{digests[t]}\0".encode())
    return h.hexdigest()


def insert(conn: Connection, name: str, manifest: dict[str, Any], tables: dict[str, bytes],
           saved_by: str) -> str | None:
    """Write a cut in the caller's transaction; its fingerprint, or None when one of that
    name exists.

    ``manifest`` holds ``exported_at`` (the data cut) and, where known, ``trial``,
    ``synthetic``, ``cut_of`` (the source export's SHA-256), ``source_exported_at``,
    ``saved_at`` and ``made_by`` (the stamp of the code and protocol that saved it).
    """
    digests = {t: hashlib.sha256(b).hexdigest() for t, b in tables.items()}
    row = {"name": name, "as_of": str(manifest["exported_at"]),
           "trial": str(manifest.get("trial") or ""), "synthetic": bool(manifest.get("synthetic")),
           "cut_of": str(manifest.get("cut_of") or ""),
           "source_exported_at": str(manifest.get("source_exported_at") or ""),
           "saved_at": str(manifest.get("saved_at") or trail.now()), "saved_by": saved_by,
           "fingerprint": fingerprint(digests),
           "made_by": str(manifest.get("made_by") or "not recorded")}
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT through SQLAlchemy
    done = conn.execute(store.insert(conn, schema.cuts).values(**row)
                        .on_conflict_do_nothing(index_elements=["name"])
                        .returning(schema.cuts.c.name)).first()
    if done is None:
        return None
    conn.execute(schema.cut_tables.insert(),
                 [{"cut": name, "tbl": t, "sha256": digests[t], "data": b}
                  for t, b in tables.items()])
    return str(row["fingerprint"])


def exists(name: str, u: str | None = None) -> bool:
    """Whether a cut of that name is saved (intact or not)."""
    with store.reading(u) as conn:
        return conn.execute(select(schema.cuts.c.name)
                            .where(schema.cuts.c.name == name)).first() is not None


def save(name: str, manifest: dict[str, Any], tables: dict[str, bytes], user: str, role: str,
         export: str, u: str | None = None) -> Saved:
    """Save a cut and its audit entry (``cut_saved``: the name, then what saved it) in
    one transaction; a second save of the same name is told it was saved already."""
    with store.transaction(u) as conn:
        fp = insert(conn, name, manifest, tables, saved_by=user)
        if fp is not None:
            made = manifest.get("made_by")
            trail.append(conn, "cut_saved", user, role, export,
                         detail=f"{name} fingerprint={fp}"
                         + (f" made_by={made}" if made else ""))
    return Saved(name, fp is not None)


def _intact(r: Any) -> bool:
    """Whether a stored table's bytes still match the digest saved with them."""
    return hashlib.sha256(r.data).hexdigest() == r.sha256


_FP = re.compile(r"^(\S+) fingerprint=([0-9a-f]{64})\b")


def _recorded(conn: Connection) -> dict[str, str]:
    """Each cut's fingerprint as its ``cut_saved`` audit entry recorded it (chained and
    keyed: a cut rewritten with new digests and a new fingerprint still differs)."""
    a = schema.audit
    out = {}
    for (detail,) in conn.execute(select(a.c.detail).where(a.c.action == "cut_saved")):
        m = _FP.match(detail or "")
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _damage(cut: Any, rows: list[Any], recorded: dict[str, str]) -> str | None:
    """Why a cut is damaged (its row ``cut``, its tables' rows), or None when intact."""
    for r in rows:
        if not _intact(r):
            return f"its table {r.tbl} no longer matches its digest"
    if fingerprint({r.tbl: r.sha256 for r in rows}) != cut.fingerprint:
        return "its set of tables or their digests differ from what was saved"
    if recorded.get(cut.name, cut.fingerprint) != cut.fingerprint:
        return "it differs from the fingerprint its audit entry recorded when it was saved"
    return None


def listing(u: str | None = None) -> list[dict[str, Any]]:
    """Saved cuts, newest data cut first (then newest saved), each checked: its tables
    against their digests, the set of tables against the cut's fingerprint, and that
    against the fingerprint its audit entry recorded. One dict per cut with
    :data:`COLUMNS` (``status``: ``intact`` or ``damaged: why``; ``source``: the first
    12 digits of the export's SHA-256)."""
    ct = schema.cut_tables
    with store.reading(u) as conn:
        tables: dict[str, list[Any]] = {}
        for r in conn.execute(select(ct.c.cut, ct.c.tbl, ct.c.sha256, ct.c.data)):
            tables.setdefault(r.cut, []).append(r)
        recorded = _recorded(conn)
        rows = []
        for c in conn.execute(select(schema.cuts)):
            why = _damage(c, tables.get(c.name, []), recorded)
            rows.append({"cut": c.name, "as_of": c.as_of, "saved_at": c.saved_at,
                         "saved_by": c.saved_by, "source": c.cut_of[:12],
                         "status": f"damaged: {why}" if why else "intact"})
    # the same order on SQLite and PostgreSQL (which sort NULLs differently): undated last
    rows.sort(key=lambda r: (r["as_of"] or "", r["saved_at"] or ""), reverse=True)
    return rows


def verified(name: str, u: str | None = None) -> tuple[Any, dict[str, bytes]]:
    """The cut's row and its contract tables' Parquet bytes, checked as :func:`listing`
    checks them; a table the cut predates (saved before the contract had it, as
    ``deviations``) is not there.

    Raises
    ------
    CutDamaged
        No such cut, or it is damaged (a table changed, removed or added, or its
        fingerprint not the one recorded when it was saved).
    """
    ct = schema.cut_tables
    with store.reading(u) as conn:
        cut = conn.execute(select(schema.cuts).where(schema.cuts.c.name == name)).first()
        if cut is None:
            raise CutDamaged(f"no saved cut {name!r}")
        rows = list(conn.execute(select(ct.c.tbl, ct.c.sha256, ct.c.data).where(ct.c.cut == name)))
        why = _damage(cut, rows, _recorded(conn))
    if why:
        raise CutDamaged(f"the saved cut {name} is damaged: {why}; it is not compared with")
    return cut, {r.tbl: r.data for r in rows if r.tbl in TABLE_ORDER}


def export(name: str, out: Path, u: str | None = None) -> Path:
    """Write the cut ``name`` as an export folder (its Parquet tables as saved, and
    ``manifest.json``), whole or not at all.

    Raises
    ------
    CutDamaged
        No such cut, or a table no longer matches its digest.
    """
    r, tables = verified(name, u)
    manifest = {"exported_at": r.as_of, "trial": r.trial, "synthetic": r.synthetic,
                "cut_of": r.cut_of, "source_exported_at": r.source_exported_at,
                "saved_at": r.saved_at, "fingerprint": r.fingerprint, "made_by": r.made_by}
    content = {f"{t}.parquet": data for t, data in tables.items()}
    content["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    files.write_folder(out, content)
    return out
