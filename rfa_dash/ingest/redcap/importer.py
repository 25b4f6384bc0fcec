"""Import a REDCap project export (records CSV, data dictionary, optional events) into
contract tables.

The records file is read once as text columns, with each row's record, event and
repeating instrument (:mod:`.rows`); each contract table takes the rows its mapping
names (events, repeating instrument, a required field) and converts each column once
per distinct value (:mod:`.columns`, :mod:`.values`), so the cost follows the number of
distinct codes and dates rather than the number of cells. Every problem names the
physical line of the records file where that record's row starts, the record, the event
and the field. Rows that cannot be mapped are left out and reported; what the mapping
does not use (fields, instruments, events) is summarized in one line per kind here. The
REDCap files are never modified.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.ingest.problems import Problem, to_frame
from rfa_dash.ingest.redcap import columns
from rfa_dash.ingest.redcap.account import account
from rfa_dash.ingest.redcap.mapping import (
    DEFAULT_MAPPING,
    RedcapError,
    TableMap,
    event_matches,
)
from rfa_dash.ingest.redcap.project import (
    LOOKED_FOR,
    Project,
    fingerprint,
    is_redcap_folder,
    open_project,
    own_mapping,
)
from rfa_dash.ingest.redcap.records import SYSTEM
from rfa_dash.ingest.redcap.rows import Done, Rows, blank

__all__ = ["DEFAULT_MAPPING", "Imported", "RedcapError", "all_problems", "fingerprint",
           "import_folder", "is_redcap_folder", "remap_lines", "write_contract"]

FEW = 5   # names shown in a summary line


@dataclass
class Imported:
    """Contract tables converted from a REDCap folder.

    ``tables[t]`` holds the table's columns as Arrow text arrays; ``lines[t][i]`` is the
    records-file line where row i came from.
    """

    tables: dict[str, dict[str, pa.Array]]
    lines: dict[str, list[int]]
    problems: list[Problem]
    manifest: dict[str, Any]
    project: Project | None = field(default=None, repr=False)
    # one row per converted row: table, row (its position), line, where ("record X, event Y")
    locations: pa.Table | None = field(default=None, repr=False)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> REDCap field
    # rows out = rows in: the records rows read, placed, left out, not read, lost, empty
    account: dict[str, int] = field(default_factory=dict)


def _few(names: list[str]) -> str:
    shown = ", ".join(names[:FEW])
    return shown + (f" and {len(names) - FEW} more" if len(names) > FEW else "")


def _table(rows: Rows, tm: TableMap, done: dict[str, Done],
           selected: dict[str, np.ndarray]) -> Done:
    """Table ``tm``: the rows its mapping selects (kept in ``selected``), each column
    converted (``done``: the tables converted before it)."""
    idx = rows.select(tm)
    selected[tm.name] = idx
    cols: dict[str, pa.Array] = {}
    drop = np.zeros(len(idx), dtype=bool)
    for spec in tm.fields:
        values, missing = columns.convert(rows, tm, spec, idx, done)
        cols[spec.column] = values
        if missing is not None:
            drop |= missing
    if drop.any():
        keep = pa.array(~drop)
        cols = {c: v.filter(keep) for c, v in cols.items()}
    return idx[~drop], cols


def _summarize(rows: Rows, used_rows: np.ndarray) -> None:
    """Info lines on what the mapping leaves unused: fields, instruments, events (and
    events it names that the project does not have), and fields read from labels."""
    m = rows.p.mapping
    used = m.fields_used()
    system = set(SYSTEM) | {rows.p.record_id}
    unused: list[str] = []
    for name in rows.rec.header:
        base = name.split("___")[0]
        f = rows.p.field_of(name)
        # REDCap's own columns: form status (of any form) and survey timestamps
        if name in system or base in used or name.endswith("_complete") or (
                f is not None and f.ftype in ("timestamp", "descriptive")):
            continue
        if base not in unused:
            unused.append(base)
    if unused:
        rows.info(f"{len(unused)} {rows.p.system} field(s) not used by the mapping, ignored: "
                  f"{_few(unused)}")
    used_forms = {f.form for f in map(rows.p.field_of, used) if f is not None}
    forms: list[str] = []
    for f in rows.p.dictionary.values():
        if f.form not in used_forms and f.form not in forms:
            forms.append(f.form)
    if forms:
        rows.info(f"{len(forms)} instrument(s) not used by the mapping, ignored: "
                  f"{_few(forms)}")
    if rows.has_events:
        rest = np.ones(len(rows.rec), dtype=bool)
        rest[used_rows] = False
        named = [e for t in m.tables.values() for e in (t.events or ())]
        ignored = list(m.ignore_events)
        left = pd.Series(rows.event_arrow.filter(pa.array(rest)).to_pandas()).value_counts(
            sort=False)
        unused_ev = [f"{ev} ({n} rows)" for ev, n in left.items()
                     if ev and not any(event_matches(e, ev) for e in named + ignored)]
        if unused_ev:
            rows.info(f"{len(unused_ev)} event(s) not used by the mapping, their rows "
                      f"ignored: {_few(unused_ev)} (list them in [redcap].ignore_events)",
                      "redcap_event_name")
    if rows.labelled:
        rows.info(f"values of {len(rows.labelled)} field(s) are labels rather than raw "
                  f"codes (a labels export), read through the data dictionary: "
                  f"{_few(rows.labelled)}")


def _manifest(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    mf = folder / "manifest.json"
    if not mf.is_file():
        return {}
    try:
        value = json.loads(mf.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        value = None
    if not isinstance(value, dict):
        problems.append(Problem("manifest", None, "", "warning",
                                "manifest.json is not a JSON object; ignored"))
        return {}
    return value


def import_folder(folder: Path, mapping_path: Path | None = None) -> Imported:
    """Convert a REDCap folder into contract tables.

    Parameters
    ----------
    folder : Path
        The records CSV, the data dictionary, optionally the events and arms
        CSVs, a mapping TOML and ``manifest.json``.
    mapping_path : Path, optional
        The mapping; default the folder's TOML file, else the reference trial's.

    Raises
    ------
    RedcapError
        The folder is not a REDCap folder, or its mapping or header cannot be used.
    """
    folder = Path(folder)
    project = open_project(folder, mapping_path)
    if project is None:
        raise RedcapError(f"{folder} is not a REDCap project export: looked for "
                          + " and ".join(LOOKED_FOR))
    try:
        return _import(folder, project, mapping_path)
    except RedcapError as exc:
        if mapping_path is None and own_mapping(folder) is None:
            # the reference trial's mapping read another project: say that first
            raise RedcapError(
                f"no mapping TOML in {folder}, so the reference trial's mapping "
                f"({DEFAULT_MAPPING.name}) was tried, and it does not fit: {exc}. Draft one "
                f"for this project: `python -m rfa_dash redcap-mapping {folder} --out "
                f"{folder / 'mapping.toml'}`, check it, then open the folder again") from None
        raise


def _import(folder: Path, project: Project, mapping_path: Path | None) -> Imported:
    run = Rows(project)
    done: dict[str, Done] = {}
    # tables that take a value from another table's rows wait for it; the rest are
    # converted side by side (Arrow's kernels release the interpreter's lock)
    pending = dict(project.mapping.tables)
    selected: dict[str, np.ndarray] = {}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rfa_redcap") as pool:
        while pending:
            ready = [n for n, tm in pending.items()
                     if all(f.source.split(".")[0] in done for f in tm.fields
                            if f.kind == "from_record")]
            futures = {n: pool.submit(_table, run, pending.pop(n), dict(done),
                                      selected) for n in ready}
            for n, fut in futures.items():
                done[n] = fut.result()
    done = {n: done[n] for n in project.mapping.tables}   # the mapping's order
    for name in TABLE_ORDER:
        if name not in done and TABLES[name].required:
            # written empty, so that the one message is the mapping's, not a missing file's
            if name in project.mapping.empty_tables:
                run.info(f"{name} is declared empty in {project.mapping.name} ([redcap] "
                         "empty_tables): the project does not collect it yet")
            else:
                run.problems.append(Problem(
                    name, None, "", "error",
                    f"the mapping {project.mapping.name} gives no {name} table, which the "
                    f"contract requires: add [tables.{name}], or list it in [redcap] "
                    "empty_tables while the project does not collect it"))
            done[name] = (np.array([], dtype=np.int64), {})
    if mapping_path is None and own_mapping(folder) is None \
            and any(p.severity == "error" for p in run.problems):
        # the reference trial's mapping read another project: say so before its errors
        run.problems.insert(0, Problem(
            "redcap", 1, "", "warning",
            f"no mapping TOML in {folder}, so the reference trial's mapping "
            f"({DEFAULT_MAPPING.name}) was used; `python -m rfa_dash redcap-mapping {folder} "
            f"--out {folder / 'mapping.toml'}` drafts one for this project"))
    used = np.concatenate([rows for rows, _ in done.values()]) if done else np.array([], int)
    _summarize(run, used)
    counts = account(run, project.mapping.tables, selected, used)
    manifest = _manifest(folder, run.problems)
    lines = {t: run.rec.lines[rows].tolist() for t, (rows, _) in done.items()}
    sources = {t: {f.column: f.source for f in tm.fields if f.kind in ("field", "checkbox")}
               for t, tm in project.mapping.tables.items()}
    return Imported({t: frame for t, (_, frame) in done.items()}, lines, run.problems,
                    manifest, project, run.locations(done), sources, counts)


def remap_lines(problems: pd.DataFrame, locations: pa.Table,
                fields: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Contract problems on a converted export, told in terms of the REDCap project.

    ``problems`` name lines of the converted contract files (header = line 1,
    row i at line i + 2). Each becomes the records-file line the row came
    from (in the line column and in "first at line N" inside messages); the
    message starts with the record and event, and the column is the REDCap
    field the contract column came from, when one did. ``locations`` is
    :attr:`Imported.locations`.
    """
    out = problems.copy()
    for table in pc.unique(locations["table"]).to_pylist():
        rows = (out["table"] == table) & out["line"].notna() & (out["line"] >= 2)
        if not rows.any():
            continue
        mine = locations.filter(pc.equal(locations["table"], table))
        line_of = mine["line"].to_numpy()
        where_of = mine["where"]
        n_rows = len(line_of)

        def to_src(n: int, line_of: np.ndarray = line_of, n_rows: int = n_rows) -> int:
            return int(line_of[n - 2]) if 2 <= n < n_rows + 2 else n

        def first_at(m: re.Match[str], to_src: Callable[[int], int] = to_src) -> str:
            return m.group(1) + str(to_src(int(m.group(2))))

        numbers = [int(n) for n in out.loc[rows, "line"]]
        out.loc[rows, "message"] = [
            (f"{where_of[n - 2].as_py()}: " if 2 <= n < n_rows + 2 else "")
            + re.sub(r"(first at line )(\d+)", first_at, msg)
            for n, msg in zip(numbers, out.loc[rows, "message"], strict=True)]
        out.loc[rows, "line"] = [to_src(n) for n in numbers]
        names = fields.get(table, {})
        out.loc[rows, "column"] = [names.get(c, c) for c in out.loc[rows, "column"]]
    return out


def all_problems(redcap: list[Problem], contract: pd.DataFrame, locations: pa.Table,
                 fields: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The problems of a converted REDCap folder as ``check`` lists them: the conversion's
    own, then the contract's (``contract``: the converted export's problems) told in
    terms of the records file (:func:`remap_lines`)."""
    told = remap_lines(contract, locations, fields)
    return pd.concat([to_frame(redcap), told], ignore_index=True) if redcap else told


def contract_tables(imported: Imported, empty_as_missing: bool = False) -> dict[str, pa.Table]:
    """The converted tables with the contract's columns in its order (a column the mapping
    does not fill is empty), as text; ``empty_as_missing``: an empty value as missing, as
    an empty CSV cell reads (what the Parquet form and the loader get)."""
    tables = {}
    for name in TABLE_ORDER:
        if name not in imported.tables:
            continue
        frame = imported.tables[name]
        n = len(imported.lines[name])
        arrays = [frame[c] if c in frame else blank(n) for c in TABLES[name].names]
        if empty_as_missing:
            arrays = [pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)
                      for a in arrays]
        tables[name] = pa.table(arrays, names=TABLES[name].names)
    return tables


def write_contract(imported: Imported, out: Path, parquet: bool = False) -> None:
    """Write converted tables as a contract export folder.

    CSV (UTF-8) for people; ``parquet=True`` for the cache of a REDCap folder
    opened directly, which loads in a third of the time (empty values are
    written as missing, as an empty CSV cell reads).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in contract_tables(imported, empty_as_missing=parquet).items():
        if parquet:
            pq.write_table(table, out / f"{name}.parquet", compression="none")
        else:
            pacsv.write_csv(table, out / f"{name}.csv",
                            write_options=pacsv.WriteOptions(quoting_style="needed"))
    (out / "manifest.json").write_text(json.dumps(imported.manifest, indent=2) + "\n",
                                       encoding="utf-8")
