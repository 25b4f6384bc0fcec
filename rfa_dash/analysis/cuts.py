"""Frozen data cuts: save the export as of a date, and what changed since a previous cut.

A cut is a folder ``<as_of>_<fingerprint12>`` under the cuts folder
(``RFA_DASH_CUTS_DIR``, else ``cuts`` beside the users file, else the state
folder) holding one Parquet file per table (the validated rows dated on or
before the as-of date), and ``manifest.json`` with the data cut, the source
export's SHA-256 and the cut's own. A cut is itself a valid export: open it
as a folder to see exactly what the board saw.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rfa_dash import settings
from rfa_dash.blinding import Role, allocation_at_any_date, masks_ids, pseudonymize, sees
from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.ingest.export import Export, fingerprint

# the tables whose rows have a key (the contract's unique columns): edits are found by it
KEYS = {t: list(TABLES[t].unique) for t in TABLE_ORDER if TABLES[t].unique}


def cuts_dir() -> Path:
    """Where cuts are saved."""
    return settings.cuts_dir()


def cut_tables(exp: Export, as_of: dt.date) -> dict[str, pa.Table]:
    """The validated tables as of the data cut (Arrow: typed, compact, no Python objects)."""
    from rfa_dash.db import run

    return {t: run(exp.con, f"cuts/{t}", {"as_of": as_of}, arrow=True) for t in TABLE_ORDER}


def save_cut(exp: Export, as_of: dt.date, root: Path | None = None) -> Path:
    """Write the cut (Parquet per table + manifest); return its folder.

    Saving the same export at the same as-of date again returns the existing cut.
    """
    root = Path(root or cuts_dir()).expanduser().resolve()
    if root.is_relative_to(exp.folder):
        raise ValueError("cuts may not be saved inside the export folder")
    folder = root / f"{as_of.isoformat()}_{exp.fingerprint[:12]}"
    if (folder / "manifest.json").is_file():
        return folder
    tmp = root / (folder.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    for t, data in cut_tables(exp, as_of).items():
        pq.write_table(data, tmp / f"{t}.parquet")
    manifest = {
        "exported_at": as_of.isoformat(), "trial": exp.protocol.registry_id,
        "synthetic": exp.synthetic, "cut_of": exp.fingerprint,
        "source_exported_at": exp.manifest.get("exported_at"),
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    manifest["fingerprint"] = fingerprint(tmp)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    tmp.replace(folder)
    return folder


def list_cuts(root: Path | None = None) -> pd.DataFrame:
    """Saved cuts, newest data cut first."""
    root = Path(root or cuts_dir()).expanduser()
    rows = []
    if root.is_dir():
        for f in sorted(root.iterdir()):
            m = f / "manifest.json"
            if f.is_dir() and m.is_file():
                d = json.loads(m.read_text(encoding="utf-8"))
                rows.append({"cut": f.name, "as_of": d.get("exported_at"),
                             "saved_at": d.get("saved_at"), "source": d.get("cut_of", "")[:12],
                             "folder": str(f)})
    df = pd.DataFrame(rows, columns=["cut", "as_of", "saved_at", "source", "folder"])
    return df.sort_values(["as_of", "saved_at"], ascending=False).reset_index(drop=True)


def cut_listing(cuts: pd.DataFrame) -> pd.DataFrame:
    """:func:`list_cuts` as shown to people (without the server folder)."""
    return cuts.drop(columns="folder")


def read_cut(folder: Path) -> dict[str, pa.Table]:
    """A saved cut's tables (Arrow); a table the cut predates (saved before the contract
    had it, as ``deviations``) is left out, and :func:`diff` reads it as empty."""
    return {t: pq.read_table(Path(folder) / f"{t}.parquet") for t in TABLE_ORDER
            if (Path(folder) / f"{t}.parquet").exists()}


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
        return con.execute(sql_text(name)).df()

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
    """The newest saved cut dated before ``as_of`` (else the newest one), or None."""
    if cuts.empty:
        return None
    day, folders = as_of.isoformat(), cuts["folder"].tolist()
    # the listing is newest first: the first cut dated before as_of
    earlier = [f for d, f in zip(cuts["as_of"].tolist(), folders, strict=True)
               if isinstance(d, str) and d < day]
    return str(earlier[0] if earlier else folders[0])


def changes_since(exp: Export, as_of: dt.date, folder: str, role: Role
                  ) -> dict[str, pd.DataFrame]:
    """What changed between a saved cut and the export at ``as_of``, for ``role``."""
    return diff(read_cut(Path(folder)), cut_tables(exp, as_of), role)
