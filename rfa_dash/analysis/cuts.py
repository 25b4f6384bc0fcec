"""Frozen data cuts: save the export as of a date, and what changed since a previous cut.

A cut lives in the state store: a row with the data cut, the source
export's SHA-256 and who saved it, and one Parquet table per contract table
(the validated rows dated on or before the as-of date) with its SHA-256.
Saving is one transaction with its audit entry: two sessions saving the same
cut get one cut, and an unfinished save is never listed. Every read checks
each table against its digest: a cut changed afterwards is *damaged*, listed
as such, never compared with. ``python -m rfa_dash export-cut`` writes a cut
out as an export folder, to open exactly what the board saw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.engine import Connection

from rfa_dash.blinding import Role, allocation_at_any_date, masks_ids, pseudonymize, sees
from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.state import audit as trail
from rfa_dash.state import schema, store

# the tables whose rows have a key (the contract's unique columns): edits are found by it
KEYS = {t: list(TABLES[t].unique) for t in TABLE_ORDER if TABLES[t].unique}
COLUMNS = ["cut", "as_of", "saved_at", "saved_by", "source", "status"]


class CutDamaged(ValueError):
    """A saved cut whose content no longer matches its digests."""


@dataclass(frozen=True)
class Saved:
    """What :func:`save_cut` did: the cut's name, and whether this call saved it."""

    name: str
    created: bool


def cut_tables(exp: Export, as_of: dt.date) -> dict[str, pa.Table]:
    """The validated tables as of the data cut (Arrow: typed, compact, no Python objects)."""
    from rfa_dash.db import run

    return {t: run(exp.con, f"cuts/{t}", {"as_of": as_of}, arrow=True) for t in TABLE_ORDER}


def _parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def _fingerprint(digests: dict[str, str]) -> str:
    h = hashlib.sha256()
    for t in sorted(digests):
        h.update(f"{t}\0{digests[t]}\0".encode())
    return h.hexdigest()


def insert_cut(conn: Connection, name: str, manifest: dict[str, Any], tables: dict[str, bytes],
               saved_by: str) -> bool:
    """Write a cut in the caller's transaction; False when one of that name exists."""
    digests = {t: hashlib.sha256(b).hexdigest() for t, b in tables.items()}
    row = {"name": name, "as_of": str(manifest["exported_at"]),
           "trial": str(manifest.get("trial") or ""), "synthetic": bool(manifest.get("synthetic")),
           "cut_of": str(manifest.get("cut_of") or ""),
           "source_exported_at": str(manifest.get("source_exported_at") or ""),
           "saved_at": str(manifest.get("saved_at") or trail.now()), "saved_by": saved_by,
           "fingerprint": _fingerprint(digests)}
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT through SQLAlchemy
    done = conn.execute(store.insert(conn, schema.cuts).values(**row)
                        .on_conflict_do_nothing(index_elements=["name"])
                        .returning(schema.cuts.c.name)).first()
    if done is None:
        return False
    conn.execute(schema.cut_tables.insert(),
                 [{"cut": name, "tbl": t, "sha256": digests[t], "data": b}
                  for t, b in tables.items()])
    return True


def save_cut(exp: Export, as_of: dt.date, user: str = "", role: str = "") -> Saved:
    """Save the cut of ``exp`` at ``as_of`` (one transaction with its audit entry).

    Saving the same export at the same as-of date again (or at once from two
    sessions) gives one cut: the later call is told it was saved already.
    """
    name = f"{as_of.isoformat()}_{exp.fingerprint[:12]}"
    with store.reading() as conn:
        if conn.execute(select(schema.cuts.c.name).where(schema.cuts.c.name == name)).first():
            return Saved(name, False)
    tables = {t: _parquet(data) for t, data in cut_tables(exp, as_of).items()}
    manifest = {"exported_at": as_of.isoformat(), "trial": exp.protocol.registry_id,
                "synthetic": exp.synthetic, "cut_of": exp.fingerprint,
                "source_exported_at": exp.manifest.get("exported_at") or "",
                "saved_at": trail.now()}
    with store.transaction() as conn:
        created = insert_cut(conn, name, manifest, tables, saved_by=user)
        if created:
            trail.append(conn, "cut_saved", user, role, exp.fingerprint, detail=name)
    return Saved(name, created)


def _intact(r: Any) -> bool:
    """Whether a stored table's bytes still match the digest saved with them."""
    return hashlib.sha256(r.data).hexdigest() == r.sha256


def list_cuts() -> pd.DataFrame:
    """Saved cuts, newest data cut first, each checked against its digests
    (``status``: ``intact`` or ``damaged: why``)."""
    ct = schema.cut_tables
    with store.reading() as conn:
        damaged: dict[str, str] = {}
        for r in conn.execute(select(ct.c.cut, ct.c.tbl, ct.c.sha256, ct.c.data)):
            if r.cut not in damaged and not _intact(r):
                damaged[r.cut] = r.tbl
        rows = [{"cut": r.name, "as_of": r.as_of, "saved_at": r.saved_at,
                 "saved_by": r.saved_by, "source": r.cut_of[:12],
                 "status": (f"damaged: its table {damaged[r.name]} no longer matches its "
                            "digest") if r.name in damaged else "intact"}
                for r in conn.execute(select(schema.cuts))]
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.sort_values(["as_of", "saved_at"], ascending=False).reset_index(drop=True)


def _verified(name: str) -> tuple[Any, dict[str, bytes]]:
    """The cut's row and its contract tables' Parquet bytes, each checked against its
    digest; a table the cut predates (saved before the contract had it, as
    ``deviations``) is not there.

    Raises
    ------
    CutDamaged
        No such cut, or a table no longer matches its digest.
    """
    ct = schema.cut_tables
    with store.reading() as conn:
        cut = conn.execute(select(schema.cuts).where(schema.cuts.c.name == name)).first()
        if cut is None:
            raise CutDamaged(f"no saved cut {name!r}")
        rows = list(conn.execute(select(ct.c.tbl, ct.c.sha256, ct.c.data).where(ct.c.cut == name)))
    for r in rows:
        if not _intact(r):
            raise CutDamaged(f"the saved cut {name} is damaged: its table {r.tbl} no longer "
                             "matches its digest; it is not compared with")
    return cut, {r.tbl: r.data for r in rows if r.tbl in TABLE_ORDER}


def read_cut(name: str) -> dict[str, pa.Table]:
    """A saved cut's tables (Arrow), each checked against its digest; a table the cut
    predates is left out, and :func:`diff` reads it as empty.

    Raises
    ------
    CutDamaged
        No such cut, or a table no longer matches its digest.
    """
    return {t: pq.read_table(pa.BufferReader(data)) for t, data in _verified(name)[1].items()}


def export_cut(name: str, out: Path) -> Path:
    """Write the cut ``name`` as an export folder (its Parquet tables as saved, and
    ``manifest.json``)."""
    from rfa_dash import files

    r, tables = _verified(name)
    manifest = {"exported_at": r.as_of, "trial": r.trial, "synthetic": r.synthetic,
                "cut_of": r.cut_of, "source_exported_at": r.source_exported_at,
                "saved_at": r.saved_at, "fingerprint": r.fingerprint}
    content = {f"{t}.parquet": data for t, data in tables.items()}
    content["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    files.write_folder(out, content)
    return out


def _edited_sql(table: str, key: list[str], cols: list[str], hidden: set[str]) -> str:
    """Records of ``table`` present in both versions whose values differ, with the columns."""
    from rfa_dash.db import ident as q

    changed = ", ".join(
        f"CASE WHEN c.{q(x)} IS DISTINCT FROM p.{q(x)} THEN "
        f"'{'(hidden)' if x in hidden else x}' END" for x in cols)
    record = " || ' / ' || ".join(f"CAST(c.{q(k)} AS VARCHAR)" for k in key)
    return (f"SELECT * FROM (SELECT '{table}' AS \"table\", {record} AS record, "
            f"concat_ws(', ', {changed}) AS changed FROM cur_{table} c "
            f"JOIN prev_{table} p ON {' AND '.join(f'c.{q(k)} = p.{q(k)}' for k in key)}) "
            f"WHERE changed <> '' ORDER BY record")


def diff(prev: dict, cur: dict, role: Role) -> dict[str, pd.DataFrame]:
    """What changed from ``prev`` to ``cur``, shown as the role may see it.

    ``prev`` and ``cur`` map table names to Arrow tables or DataFrames. The
    comparison runs in a DuckDB database of its own (no file access), so a
    cut of 100,000 participants is compared without copying every value
    into Python.

    Returns frames: ``randomized`` (new randomizations), ``sre`` (new SREs),
    ``deaths`` (new deaths), ``saes`` (new serious adverse events) and
    ``deviations`` (new protocol deviations, important ones first), each listing
    a participant's arm only for a closed role; ``randomized_by_arm`` (counts of
    the new randomizations per arm, for roles that see allocation); and
    ``edited`` (table, key, changed columns) for records present in both with
    different values.

    A role that sees allocation counts but not outcomes by arm never gets an
    arm next to a participant ID: with the pooled event listings it would
    unblind outcomes by arm.
    """
    from rfa_dash.db import hardened_connection, sql_text

    con = hardened_connection(None)

    def query(name):  # on this connection: cursors do not see registered tables
        return with_dates(con.execute(sql_text(name)).df())   # dates, not midnights

    try:
        for t in TABLE_ORDER:
            # a table an older cut predates is as if empty there
            con.register(f"prev_{t}", prev[t] if t in prev else cur[t].slice(0, 0)
                         if isinstance(cur[t], pa.Table) else cur[t].head(0))
            con.register(f"cur_{t}", cur[t])
        new_all = query("cuts/new_randomizations")
        arm = ["arm"] if sees(role, "outcomes_by_arm") else []
        by_arm = pd.DataFrame()
        # new randomizations by arm between two cuts of any dates are exact counts at
        # both: only for a role that sees allocation at any date
        if sees(role, "allocation") and allocation_at_any_date(role):
            by_arm = new_all.groupby("arm").size().rename("new").reset_index()
        sre = query("cuts/new_sres")[["participant_id", "event_date", "sre_type", *arm]] \
            if sees(role, "outcomes") else pd.DataFrame()
        deaths = query("cuts/new_deaths")[["participant_id", "off_study_date", *arm]] \
            if sees(role, "outcomes") else pd.DataFrame()
        saes = query("cuts/new_saes")[["participant_id", "onset_date", "term", "grade",
                                       "related", *arm]] \
            if sees(role, "outcomes") else pd.DataFrame()
        # deviations are conduct data, but a description can name an arm ("received RT
        # alone"): listed only for a role that sees allocation or outcomes, with the arm
        # only for a closed role, pseudonymized like the others
        devs = query("cuts/new_deviations")[["participant_id", "deviation_date", "category",
                                             "important", "description", *arm]] \
            if sees(role, "allocation") or sees(role, "outcomes") else pd.DataFrame()
        if masks_ids(role):
            sre, deaths, saes = pseudonymize(sre), pseudonymize(deaths), pseudonymize(saes)
            devs = pseudonymize(devs)
        hidden = set() if sees(role, "allocation") else {"arm"}
        edited = []
        for table, key in KEYS.items():
            pcols = {c[0] for c in con.execute(f"DESCRIBE prev_{table}").fetchall()}
            cols = [c[0] for c in con.execute(f"DESCRIBE cur_{table}").fetchall()
                    if c[0] in pcols and c[0] not in key]
            if cols:
                edited.append(con.execute(_edited_sql(table, key, cols, hidden)).df())
    finally:
        con.close()
    edited = [e for e in edited if len(e)]
    return {"randomized": new_all[["participant_id", "randomization_date", *arm]],
            "randomized_by_arm": by_arm, "sre": sre, "deaths": deaths, "saes": saes,
            "deviations": devs,
            "edited": pd.concat(edited, ignore_index=True) if edited else
            pd.DataFrame(columns=["table", "record", "changed"])}


def previous_cut(cuts: pd.DataFrame, as_of: dt.date) -> str | None:
    """The newest intact cut dated before ``as_of`` (else the newest intact one), or None."""
    intact = cuts[cuts["status"] == "intact"] if "status" in cuts else cuts
    if intact.empty:
        return None
    day, names = as_of.isoformat(), intact["cut"].tolist()
    # the listing is newest first: the first cut dated before as_of
    earlier = [n for d, n in zip(intact["as_of"].tolist(), names, strict=True)
               if isinstance(d, str) and d < day]
    return str(earlier[0] if earlier else names[0])


def changes_since(exp: Export, as_of: dt.date, cut: str, role: Role
                  ) -> dict[str, pd.DataFrame]:
    """What changed between the saved cut ``cut`` and the export at ``as_of``, for ``role``.

    Raises
    ------
    CutDamaged
        The cut no longer matches its digests.
    """
    return diff(read_cut(cut), cut_tables(exp, as_of), role)
