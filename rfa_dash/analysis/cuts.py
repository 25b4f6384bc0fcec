"""Frozen data cuts: what a cut of an export holds, and what changed since a previous cut.

A cut is the export's validated rows dated on or before the as-of date, one
Parquet table per contract table. They are stored (and checked on every read)
by :mod:`rfa_dash.state.cuts`; this module makes them from an export and
compares two of them for a role. ``python -m rfa_dash export-cut`` writes a cut
out as an export folder, to open exactly what the board saw.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rfa_dash.blinding import Role, allocation_at_any_date, masks_ids, pseudonymize, sees
from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.state import audit as trail
from rfa_dash.state import cuts as stored
from rfa_dash.state.cuts import CutDamaged, Saved
from rfa_dash.version import stamp

__all__ = ["KEYS", "CutDamaged", "Saved", "changes_since", "cut_name", "cut_tables", "diff",
           "list_cuts", "previous_cut", "read_cut", "save_cut"]

# the tables whose rows have a key (the contract's unique columns): edits are found by it
KEYS = {t: list(TABLES[t].unique) for t in TABLE_ORDER if TABLES[t].unique}


def cut_tables(exp: Export, as_of: dt.date) -> dict[str, pa.Table]:
    """The validated tables as of the data cut (Arrow: typed, compact, no Python objects)."""
    from rfa_dash.db import run

    return {t: run(exp.con, f"cuts/{t}", {"as_of": as_of}, arrow=True) for t in TABLE_ORDER}


def _parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue().to_pybytes())


def cut_name(exp: Export, as_of: dt.date) -> str:
    """A cut's name: its data cut and the first 12 digits of the export's SHA-256."""
    return f"{as_of.isoformat()}_{exp.fingerprint[:12]}"


def save_cut(exp: Export, as_of: dt.date, user: str = "", role: str = "") -> Saved:
    """Save the cut of ``exp`` at ``as_of`` in the store (one transaction with its audit
    entry, :func:`rfa_dash.state.cuts.save`).

    Saving the same export at the same as-of date again (or at once from two
    sessions) gives one cut: the later call is told it was saved already.
    """
    name = cut_name(exp, as_of)
    if stored.exists(name):
        return Saved(name, False)
    tables = {t: _parquet(data) for t, data in cut_tables(exp, as_of).items()}
    manifest = {"exported_at": as_of.isoformat(), "trial": exp.protocol.registry_id,
                "synthetic": exp.synthetic, "cut_of": exp.fingerprint,
                "source_exported_at": exp.manifest.get("exported_at") or "",
                "saved_at": trail.now(),
                "made_by": stamp(exp.fingerprint, exp.protocol.source).line()}
    return stored.save(name, manifest, tables, user, role, exp.fingerprint)


def list_cuts() -> pd.DataFrame:
    """Saved cuts, newest data cut first, each checked against its digests, as a frame
    (:func:`rfa_dash.state.cuts.listing`)."""
    return pd.DataFrame(stored.listing(), columns=list(stored.COLUMNS))


def read_cut(name: str) -> dict[str, pa.Table]:
    """A saved cut's tables (Arrow), each checked against its digest; a table the cut
    predates is left out, and :func:`diff` reads it as empty.

    Raises
    ------
    CutDamaged
        No such cut, or a table no longer matches its digest.
    """
    return {t: pq.read_table(pa.BufferReader(data))
            for t, data in stored.verified(name)[1].items()}


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
