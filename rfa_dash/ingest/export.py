"""An export opened for analysis: files loaded, validated, staged in DuckDB.

>>> exp = open_export(Path("sample_data"))        # doctest: +SKIP
>>> exp.query("enrollment_funnel", as_of=exp.default_as_of)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from rfa_dash import db, files
from rfa_dash.contract import (
    DATE_MAX,
    DATE_MIN,
    TABLE_ORDER,
    TABLES,
    parse_date,
)
from rfa_dash.ingest import cache, protocol_tables
from rfa_dash.ingest.loader import files_digest, find_files, load_arrow, load_table
from rfa_dash.ingest.problems import Problem, frame_of, to_table
from rfa_dash.protocol import Protocol, load_protocol
from rfa_dash.version import code_hash

if TYPE_CHECKING:   # pandas loads with the first frame: `check` on a cached export never needs it
    import numpy as np
    import pandas as pd

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


class ExportError(Exception):
    """The export cannot be read at all (no such folder, not a folder)."""


@dataclass
class Export:
    """An export opened: its folder read, validated and loaded into an in-memory DuckDB
    database (``con``) with its protocol and problems. Not the folder itself (that is
    ``folder``); :func:`open_export` makes one, :meth:`close` ends it.

    Attributes
    ----------
    folder : Path
        The export folder (read only).
    protocol : Protocol
        Protocol settings used for validation and all rules.
    problems : DataFrame
        Every problem found: table, line, column, severity, message, value (made from
        ``problem_rows`` when first asked for).
    problem_rows : Table or DataFrame
        The same problems as they were read (Arrow, from a load or the cache).
    manifest : dict
        Parsed ``manifest.json``, or ``{}``.
    fingerprint : str
        SHA-256 over the names and bytes of the export's files.
    files : dict
        Table name to the file read (None when absent).
    """

    folder: Path
    protocol: Protocol
    con: duckdb.DuckDBPyConnection
    problem_rows: Any                # pa.Table, or a DataFrame once made (problems)
    manifest: dict[str, Any]
    fingerprint: str
    files: dict[str, str | None]
    source: str = "export"   # "export", or "redcap" for a converted REDCap project
    # a REDCap project whose arms are the randomized arms: event names tell the arm
    arm_events: bool = False
    # the REDCap field(s) the arm comes from: their problems tell the arm as the arm's do
    arm_fields: tuple[str, ...] = ()

    @property
    def default_as_of(self) -> dt.date:
        """The manifest's ``exported_at``, else today (spec: data cut)."""
        value = self.manifest.get("exported_at")
        if value:
            try:
                return dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                pass
        return dt.date.today()

    @property
    def synthetic(self) -> bool:
        """True when the manifest marks the export as synthetic."""
        return bool(self.manifest.get("synthetic"))

    @property
    def problems(self) -> pd.DataFrame:
        """Every problem as a DataFrame (made once from the Arrow rows, which `check`
        writes without pandas)."""
        if isinstance(self.problem_rows, pa.Table):
            self.problem_rows = frame_of(self.problem_rows)
        frame: pd.DataFrame = self.problem_rows
        return frame

    def problem_table(self) -> pa.Table:
        """Every problem as an Arrow table."""
        if isinstance(self.problem_rows, pa.Table):
            return self.problem_rows
        return pa.Table.from_pandas(self.problem_rows, preserve_index=False)

    def _count(self, severity: str) -> int:
        if isinstance(self.problem_rows, pa.Table):   # (pyarrow.compute would load pandas)
            return int(self.problem_rows["severity"].to_pylist().count(severity))
        return int((self.problem_rows["severity"] == severity).sum())

    @property
    def n_errors(self) -> int:
        return self._count("error")

    @property
    def n_warnings(self) -> int:
        return self._count("warning")

    @property
    def n_notes(self) -> int:
        """Info lines (what a REDCap mapping leaves unused), neither errors nor warnings."""
        return self._count("info")

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        """Run the result query ``sql/results/<name>.sql`` with bound ``params`` on its own
        cursor."""
        return db.run(self.con, f"results/{name}", params)

    def query_arrow(self, name: str, **params: Any) -> pa.Table:
        """:meth:`query` as an Arrow table (for writing out without pandas)."""
        result: pa.Table = db.run(self.con, f"results/{name}", params, arrow=True)
        return result

    def query_columns(self, name: str, **params: Any) -> dict[str, np.ndarray]:
        """:meth:`query` as NumPy arrays by column (masked where NULL; dates as
        ``datetime64``): what the analysis commands compute on without pandas."""
        result: dict[str, np.ndarray] = db.run(self.con, f"results/{name}", params, numpy=True)
        return result

    def close(self) -> None:
        self.con.close()


def links_outside(folder: Path, root: Path) -> list[str]:
    """Names of the entries of ``folder`` that resolve outside ``root`` (symbolic links
    to another trial's files, say), so that a folder under the export root cannot
    reach beyond it."""
    root = Path(root).resolve()
    out = []
    try:
        entries = sorted(Path(folder).iterdir())
    except OSError:
        return []
    for p in entries:
        try:
            target = p.resolve(strict=True)
        except (OSError, RuntimeError):
            out.append(p.name)    # a broken or looping link
            continue
        if not target.is_relative_to(root):
            out.append(p.name)
    return out


def fingerprint(folder: Path) -> str:
    """SHA-256 over the sorted names and bytes of the export's table and manifest files."""
    names = {n + s for n in TABLES for s in (".csv", ".parquet", ".xlsx")} | {"manifest.json"}
    return files_digest([p for p in sorted(folder.iterdir())
                         if p.is_file() and p.name.lower() in names])


MANIFEST_MAX_BYTES = 1_000_000   # a manifest is a few lines; a huge one is not read


def _read_manifest(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    try:
        if path.stat().st_size > MANIFEST_MAX_BYTES:
            raise ValueError(f"larger than {MANIFEST_MAX_BYTES // 1000} kB")
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
    except RecursionError:
        problems.append(Problem("manifest", None, "", "warning",
                                "manifest.json is nested too deeply to read; ignored"))
        return {}
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem("manifest", None, "", "warning",
                                f"manifest.json is not valid JSON ({exc}); ignored"))
        return {}
    return _checked_manifest(data, problems)


def _checked_manifest(data: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The manifest without an ``exported_at`` that is not a date (said in ``problems``)."""
    data = dict(data)
    exported = data.get("exported_at")
    if exported is not None:
        try:
            parse_date(str(exported))
        except ValueError as exc:
            problems.append(Problem("manifest", None, "exported_at", "warning",
                                    f"exported_at: {exc} (expected YYYY-MM-DD from "
                                    f"{DATE_MIN.year} to {DATE_MAX.year}); today is used as "
                                    "the default as-of date", str(exported)[:60]))
            data.pop("exported_at")
    return data


def _analysis_database() -> db.Connection:
    """The analysis database (no file access at all) with the macros typing needs."""
    con = db.hardened_connection(None)
    con.execute(db.sql_text("staging/parsers"))
    return con


def _derived_eligibility(con: db.Connection, protocol: Protocol) -> None:
    """The protocol tables and the eligibility macros (on a cursor of this worker thread)."""
    with con.cursor() as cur:
        protocol_tables.create(cur, protocol)
        cur.execute(db.sql_text("derived/eligibility"))


def _load_one(database: Callable[[], db.Connection], name: str, files: list[Path]
              ) -> dict[str, Any]:
    """:func:`load_table` with its own problems (``database()``: the analysis database)."""
    problems: list[Problem] = []
    info = load_table(TABLES[name], files, problems, database)
    return info | {"problems": problems}


def open_export(folder: Path | str, protocol: Protocol | None = None,
                use_cache: bool = True) -> Export:
    """Load, validate and stage an export folder.

    Parameters
    ----------
    folder : path-like
        The export folder. It is only read.
    protocol : Protocol, optional
        Default: :func:`rfa_dash.protocol.load_protocol`.
    use_cache : bool
        Read (and after a first load, write) the Parquet cache keyed by the
        export's fingerprint (:mod:`rfa_dash.ingest.cache`).

    Raises
    ------
    ExportError
        The folder does not exist or is not a folder. Every other problem
        (missing files, bad values) is reported in ``Export.problems``.
    """
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise ExportError(f"export folder not found: {folder}")
    if not folder.is_dir():
        raise ExportError(f"not a folder: {folder}")
    folder = folder.resolve()
    protocol = protocol or load_protocol()
    from rfa_dash.ingest.redcap.project import is_redcap_folder

    if is_redcap_folder(folder):
        return _open_redcap(folder, protocol, use_cache)
    if not any(find_files(folder).values()):
        from rfa_dash.ingest.redcap.project import describe

        raise ExportError(
            f"{folder} is neither an export (no file named after a contract table: "
            f"{', '.join(TABLE_ORDER)}, as .csv, .parquet or .xlsx) nor a REDCap project export "
            f"({describe(folder)})")
    # Two workers: the analysis database is set up while the export is hashed
    # and its files are read (by pyarrow: no database ever touches a file).
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rfa_load") as pool:
        analysis = pool.submit(_analysis_database)
        fp = fingerprint(folder)
        cached = None
        if use_cache:
            cached = cache.cache_folder(cache.cache_key(fp, protocol.source), folder)
        if cached is not None and (cached / "meta.json").is_file():
            con = analysis.result()
            try:
                problem_table, meta = cache.load(con, cached)
            except cache.DAMAGE as exc:
                cache.discard(cached, exc)
                con.close()
                analysis = pool.submit(_analysis_database)
            else:
                return _from_cache(folder, protocol, con, problem_table, meta, fp)
        problems: list[Problem] = []
        manifest = _read_manifest(folder, problems)
        infos, checked = _load_and_validate(find_files(folder), protocol, pool, analysis)
    exp = _export_of(folder, protocol, analysis.result(), problems, manifest, infos, checked, fp)
    if cached is not None:
        cache.save(exp.con, cached, exp.problem_table(),
                   {"files": exp.files, "manifest": manifest})
    return exp


def open_tables(label: Path, tables: dict[str, pa.Table], manifest: dict[str, Any],
                protocol: Protocol) -> Export:
    """Load, validate and stage tables already in memory as Arrow text columns (a REDCap
    project converted, opened without the cache: nothing is written and nothing read back);
    each table is named ``<table>.parquet`` in messages, as its file in the cache is.
    ``label`` stands for the folder; the fingerprint is left empty for the caller."""
    problems: list[Problem] = []
    manifest = _checked_manifest(manifest, problems)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rfa_load") as pool:
        analysis = pool.submit(_analysis_database)
        infos, checked = _load_and_validate(tables, protocol, pool, analysis)
    return _export_of(label, protocol, analysis.result(), problems, manifest, infos, checked, "")


def _export_of(folder: Path, protocol: Protocol, con: db.Connection, problems: list[Problem],
               manifest: dict[str, Any], infos: dict[str, dict[str, Any]],
               checked: list[Problem], fp: str) -> Export:
    """The loaded export: every table's problems after the manifest's, then validation's."""
    for name in TABLE_ORDER:
        problems.extend(infos[name]["problems"])
    problems.extend(checked)
    files = {name: info["file"] for name, info in infos.items()}
    con.execute("CREATE TABLE rows_read AS SELECT unnest($t) AS tbl, unnest($n) AS n",
                {"t": list(infos), "n": [infos[n]["rows"] for n in infos]})
    return Export(folder=folder, protocol=protocol, con=con, problem_rows=to_table(problems),
                  manifest=manifest, fingerprint=fp, files=files)


def _from_cache(folder: Path, protocol: Protocol, con: db.Connection,
                problem_table: pa.Table, meta: dict[str, Any], fp: str) -> Export:
    _derived_eligibility(con, protocol)
    con.execute(db.sql_text("derived/participants"))
    con.execute(db.sql_text("derived/adverse_events"))
    return Export(folder=folder, protocol=protocol, con=con, problem_rows=problem_table,
                  manifest=meta["manifest"], fingerprint=fp, files=meta["files"])


def _load_and_validate(sources: dict[str, list[Path]] | dict[str, pa.Table],
                       protocol: Protocol, pool: Executor, analysis: Future[db.Connection]
                       ) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Read, type and check every table; make the derived macros. Return (per-table read
    information, problems of validation).

    ``sources``: each table's files (:func:`find_files`), or each table in memory
    (:func:`open_tables`; a table left out is a missing file). Each table is typed as
    soon as it is read and the database is ready; tables are checked side by side where
    their parents allow.
    """
    infos: dict[str, dict[str, Any]] = {}
    eligibility = []

    def load(name: str) -> dict[str, Any]:
        given = sources.get(name)
        if isinstance(given, pa.Table):
            problems: list[Problem] = []
            return load_arrow(TABLES[name], given, f"{name}.parquet", problems) | {
                "problems": problems}
        return _load_one(analysis.result, name, given or [])

    def read(name: str) -> Callable[[], tuple[set[str], pa.Table]]:
        def run() -> tuple[set[str], pa.Table]:
            infos[name] = info = load(name)
            # Validation scans the Arrow table in place: the raw text is
            # read to type it and to report bad values, never stored.
            return info["columns"], info["data"]
        return run

    def staged(t: str) -> None:
        # the protocol tables and the eligibility macros need only screening (and
        # nothing before it needs them): made while the rest is checked
        if t == "screening":
            eligibility.append(pool.submit(_derived_eligibility, analysis.result(), protocol))

    from rfa_dash.ingest.validate import validate  # not needed for a cached export

    checked = validate(analysis, protocol, {n: read(n) for n in TABLE_ORDER}, pool, staged)
    for f in eligibility:
        f.result()
    analysis.result().execute(db.sql_text("derived/participants"))  # reads protocol_visits
    analysis.result().execute(db.sql_text("derived/adverse_events"))
    return infos, checked


def _open_redcap(folder: Path, protocol: Protocol, use_cache: bool) -> Export:
    """Convert a REDCap folder (once per fingerprint) and open the converted export.

    The converted export is written under the cache folder, never into the
    REDCap folder; its problems come first, then the contract's own, whose
    lines are mapped back to lines of the REDCap records file.
    """
    from rfa_dash.ingest.redcap import importer as redcap

    fp = redcap.fingerprint(folder)
    root = cache.cache_root().resolve()
    if root.is_relative_to(folder):
        raise ExportError("the cache folder may not sit inside the REDCap folder")
    # keyed by the folder (records, dictionary, mapping) and the code that converts it, as
    # the Parquet cache is: a changed importer never reads an older conversion
    conv = root / "redcap" / f"{code_hash()[:16]}-{fp[:40]}"
    problems_file = conv / "redcap_problems.json"
    where_file = conv / "redcap_rows.parquet"     # not a contract table's name: not loaded
    if use_cache and problems_file.is_file() and where_file.is_file():
        saved = json.loads(problems_file.read_text(encoding="utf-8"))
        locations = pq.read_table(where_file)
    else:
        try:
            imported = redcap.import_folder(folder)
        except redcap.RedcapError as exc:
            raise ExportError(str(exc)) from exc
        arm_events = imported.project is not None and any(
            f.kind == "from_arm" for t in imported.project.mapping.tables.values()
            for f in t.fields)
        source = imported.project.source or imported.project.records \
            if imported.project else None
        meta = json.dumps({"problems": [p.__dict__ for p in imported.problems],
                           "fields": imported.fields, "arm_events": arm_events,
                           "records": source.name if source else "",
                           "mapped": list(imported.fields)})
        saved = json.loads(meta)   # the form a cached conversion is read back in
        locations = imported.locations
        if use_cache:
            def fill(tmp: Path) -> None:
                redcap.write_contract(imported, tmp, parquet=True)
                pq.write_table(imported.locations, tmp / where_file.name)
                (tmp / problems_file.name).write_text(meta, encoding="utf-8")

            try:   # whole or not at all: a half-converted project is never read as one
                files.replace_folder(conv, fill)
            except files.WriteError as exc:
                raise ExportError(str(exc)) from None
    if use_cache:
        exp = open_export(conv, protocol, use_cache)
    else:   # nothing written, nothing read back: the converted tables as they are
        exp = open_tables(folder, redcap.contract_tables(imported, empty_as_missing=True),
                          imported.manifest, protocol)
    rproblems = [Problem(**p) for p in saved["problems"]]
    # contract problems name lines of the converted files: point them at the records file
    frame = redcap.all_problems(rproblems, exp.problems, locations, saved["fields"])
    # the REDCap folder's export: its problems, its fingerprint, and as the file each table
    # came from, the records file (of the tables the mapping gives)
    return dataclasses.replace(
        exp, problem_rows=frame, folder=folder, fingerprint=fp, source="redcap",
        arm_events=bool(saved.get("arm_events")),
        arm_fields=tuple(f for f in [saved["fields"].get("randomization", {}).get("arm")] if f),
        files={t: (f"{saved['records']} ("
                   + ("CDISC ODM" if saved["records"].lower().endswith(".xml") else "REDCap")
                   + ")" if t in saved["mapped"] else None)
               for t in exp.files})
