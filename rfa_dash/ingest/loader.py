"""Read the export's files into raw tables of text.

Each table becomes an Arrow table (validation scans it as ``raw_<table>``):
one text column per contract column (absent columns are NULL) plus
``_line``, the file line of the row (the header is line 1; for Parquet and
Excel, the row number counted the same way). Files are read by pyarrow (and
openpyxl), never by DuckDB: no database is ever given access to a file.
Nothing is ever written to the export folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rfa_dash.contract import FILE_SUFFIXES, TABLES, Table
from rfa_dash.db import Connection, ident
from rfa_dash.ingest.problems import Problem

EXCEL_EPOCH = dt.date(1899, 12, 30)


def normalize_name(name: str) -> str:
    """Column name as matched: trimmed, lower case, inner spaces as ``_``."""
    return re.sub(r"\s+", "_", str(name).strip().lower())


def _not_regular(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file ("a FIFO", ...), else None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a broken link"
    if stat.S_ISREG(mode):
        return None
    for test, what in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a file"


def files_digest(paths: list[Path]) -> str:
    """SHA-256 over each file's name and bytes, in the order given (an export's or a REDCap
    folder's fingerprint)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0")
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()


def find_files(folder: Path) -> dict[str, list[Path]]:
    """Files of each contract table in ``folder`` (file names matched case-insensitively)."""
    by_lower: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        # a FIFO or device named like a table is listed too (and refused before reading:
        # opening a FIFO would wait forever); folders are not
        if not p.is_dir():
            by_lower.setdefault(p.name.lower(), []).append(p)
    found: dict[str, list[Path]] = {}
    for name in TABLES:
        # Visits.csv and visits.csv are both files for visits: both are listed, so that
        # the choice is reported, never made silently
        found[name] = [p for s in FILE_SUFFIXES for p in by_lower.get(name + s, [])]
    return found


# Every column is read as text: the contract types it, and inference would
# change what was written ("007" -> 7). The header is read as the first row
# so that no column's name needs to be known first; names are columns f0, f1...
_MAX_COLUMNS = 4096
_CSV_DIALECT = dict(delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                    newlines_in_values=True)
_CSV_CONVERT = pacsv.ConvertOptions(
    column_types={f"f{i}": pa.string() for i in range(_MAX_COLUMNS)},
    strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""])


def _read_csv(path: Path) -> pa.Table:
    """The CSV file as text columns named by its header (UTF-8, optional BOM).

    Row ``i`` of the result is record ``i + 2`` of the file (the header is 1;
    blank lines are skipped and not counted). An empty cell, quoted or not,
    is missing; every other text ("NA", "null", spaces) is kept as written.
    """
    _sniff(path)
    try:
        data = pacsv.read_csv(path, read_options=pacsv.ReadOptions(
            autogenerate_column_names=True, block_size=_BLOCK), parse_options=pacsv.ParseOptions(
            **_CSV_DIALECT), convert_options=_CSV_CONVERT)
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise ValueError("the file is empty; expected a header row") from None
        if "straddl" in str(exc):   # pyarrow: "straddling object straddles two block ..."
            raise ValueError(f"a value is longer than {_BLOCK // 1_000_000} MB (a cell of a "
                             "table is a date, a number or a short text); not read") from None
        raise ValueError(_ragged_row(path) or _not_utf8(path) or str(exc)) from None
    if data.num_columns > _MAX_COLUMNS:
        raise ValueError(f"more than {_MAX_COLUMNS} columns")
    names = [col[0].as_py() or f"column{i + 1}" for i, col in enumerate(data.columns)]
    return data.slice(1).rename_columns(names)


_BLOCK = 16 << 20   # pyarrow's read block: also the longest value it can hold


def _sniff(path: Path) -> None:
    """Refuse, with a plain message, what is not a UTF-8 CSV file before parsing it."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
        nuls = b"\0\0\0\0"   # every other byte of ASCII text written as UTF-16
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
                (len(head) > 8 and head[1:8:2] == nuls) or head[0:8:2] == nuls):
            raise ValueError("the file is UTF-16 text; save it as UTF-8 (in Excel: "
                             "\"CSV UTF-8 (Comma delimited)\")")
        first = head.split(b"\n", 1)[0]
        whole = len(first) < len(head) or len(head) < 1 << 20
        commas = first.count(b",")
        if commas >= _MAX_COLUMNS:
            raise ValueError(f"the header has {'' if whole else 'over '}{commas + 1:,} columns, "
                             f"more than {_MAX_COLUMNS}; not a table of the export")
        if not whole:
            raise ValueError("the first line is longer than 1 MB: not a header row")
        # only a search per block on the way; lines are counted once a NUL is found
        offset = 0
        while head:
            at = head.find(b"\0")
            if at >= 0:
                at += offset
                f.seek(0)
                line = f.read(at).count(b"\n") + 1
                raise ValueError(f"line {line} holds a NUL byte (0x00 at byte {at + 1}): "
                                 "the file is binary or damaged; save it as UTF-8 text")
            offset += len(head)
            head = f.read(1 << 24)


def _ragged_row(path: Path) -> str | None:
    """Where a CSV file first has a row of the wrong width (read again, on one thread,
    because only then does the parser count rows)."""
    found: list[Any] = []

    def first(row: Any) -> str:
        found.append(row)
        return "error"

    try:
        pacsv.read_csv(path, read_options=pacsv.ReadOptions(
            autogenerate_column_names=True, use_threads=False),
            parse_options=pacsv.ParseOptions(**_CSV_DIALECT, invalid_row_handler=first),
            convert_options=_CSV_CONVERT)
    except pa.ArrowInvalid:
        pass
    if not found or found[0].number is None:
        return None
    row = found[0]
    # the line number, not the line's text: a row quoted in a file-level problem would show
    # an arm (randomization) or a death (offstudy) to a role that must not see it
    return (f"line {row.number} has {row.actual_columns} values where the header has "
            f"{row.expected_columns}")


def _not_utf8(path: Path) -> str | None:
    """The first line of the file that is not UTF-8 text, if any."""
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return (f"line {number} is not UTF-8 text (byte 0x{line[exc.start]:02x} at "
                        f"character {exc.start + 1}); save the file as UTF-8")
    return None


def _read_parquet(con: Connection, path: Path) -> pa.Table:
    """The Parquet file's columns as text, written as the contract reads them.

    The file is read by pyarrow; ``con`` (the analysis database, which has no
    file access) only turns native types into the contract's text.
    """
    src = pq.read_table(path)
    con.register("parquet_src", src)
    try:
        cols = con.execute("DESCRIBE parquet_src").fetchall()
        exprs = []
        for name, typ, *_ in cols:
            t = typ.upper()
            if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
                # the instant's date in UTC, not in the server's zone (which a cursor follows)
                e = f"strftime(CAST(timezone('UTC', {ident(name)}) AS DATE), '%Y-%m-%d')"
            elif t == "DATE" or t.startswith("TIMESTAMP"):
                e = f"strftime(CAST({ident(name)} AS DATE), '%Y-%m-%d')"
            elif t == "BOOLEAN":
                e = f"CASE WHEN {ident(name)} THEN 'true' WHEN NOT {ident(name)} THEN 'false' END"
            elif t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
                # 7.0 -> "7": whole numbers read back as whole numbers
                e = (f"CASE WHEN {ident(name)} = trunc({ident(name)}) AND abs({ident(name)}) "
                     f"< 1e15 THEN CAST(CAST({ident(name)} AS BIGINT) AS VARCHAR) "
                     f"ELSE CAST({ident(name)} AS VARCHAR) END")
            else:
                e = f"CAST({ident(name)} AS VARCHAR)"
            exprs.append(f"{e} AS {ident(name)}")
        return con.sql("SELECT " + ", ".join(exprs) + " FROM parquet_src").to_arrow_table()
    finally:
        con.unregister("parquet_src")


def _excel_text(value: object, is_date: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if is_date and 0 < value < 2958466:
            # an Excel serial day number in a date column
            return (EXCEL_EPOCH + dt.timedelta(days=int(value))).isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return str(value)


# An .xlsx file is a zip archive: a small file can unpack to gigabytes (a "zip bomb").
# Bounds, far above any export (100,000 participants fit in 60 MB of CSV):
XLSX_MAX_UNPACKED = 1_000_000_000    # bytes, all parts together
XLSX_MAX_RATIO = 200                 # unpacked / packed of any part
XLSX_MAX_ROWS = 2_000_000
XLSX_MAX_COLUMNS = _MAX_COLUMNS


def _check_xlsx(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except zipfile.BadZipFile:
        raise ValueError("not an Excel .xlsx file (it is not a zip archive)") from None
    total = sum(i.file_size for i in parts)
    if total > XLSX_MAX_UNPACKED:
        raise ValueError(f"the workbook unpacks to {total / 1e9:.1f} GB, more than "
                         f"{XLSX_MAX_UNPACKED / 1e9:.0f} GB; not read")
    for i in parts:
        if i.file_size > 1_000_000 and i.file_size > XLSX_MAX_RATIO * max(i.compress_size, 1):
            raise ValueError(f"a part of the workbook ({i.filename}) unpacks "
                             f"{i.file_size // max(i.compress_size, 1)} times its size, "
                             "as no spreadsheet does (a zip bomb?); not read")


def _read_xlsx(path: Path, table: Table) -> pa.Table:
    from openpyxl import load_workbook

    _check_xlsx(path)
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True, max_col=XLSX_MAX_COLUMNS + 1)
        header = next(rows, None)
        if header is None:
            raise ValueError("the first sheet is empty; expected a header row")
        header = list(header)
        while header and header[-1] is None:   # max_col pads rows with empty cells
            header.pop()
        if len(header) > XLSX_MAX_COLUMNS:
            raise ValueError(f"more than {XLSX_MAX_COLUMNS} columns")
        names = ["" if h is None else str(h) for h in header]
        date_cols = {i for i, n in enumerate(names)
                     if normalize_name(n) in table.names
                     and table.column(normalize_name(n)).kind in ("date", "partial_date")}
        data: list[list[str | None]] = []
        for row in rows:
            if len(data) >= XLSX_MAX_ROWS:
                raise ValueError(f"more than {XLSX_MAX_ROWS:,} rows; not read")
            if row is None or all(v is None for v in row):
                data.append([None] * len(names))
                continue
            vals = list(row)[: len(names)] + [None] * max(0, len(names) - len(row))
            data.append([_excel_text(v, i in date_cols) for i, v in enumerate(vals)])
    finally:
        wb.close()
    # columns by position: duplicate header names stay apart until matching reports them
    columns = [pa.array([r[i] for r in data], pa.string()) for i in range(len(names))]
    return pa.Table.from_arrays(columns, names=[n or f"column{i + 1}"
                                                for i, n in enumerate(names)])


def _empty_raw(table: Table) -> pa.Table:
    return pa.table({"_line": pa.array([], pa.int32()),
                     **{c: pa.array([], pa.string()) for c in table.names}})


def _first_line(msg: object) -> str:
    text = str(msg).strip().splitlines()[0] if str(msg).strip() else "unknown error"
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def load_table(table: Table, files: list[Path], problems: list[Problem],
               database: Callable[[], Connection] | None = None) -> dict[str, Any]:
    """Read the table's file.

    ``database()`` returns the analysis database; it is called only for a
    Parquet file, whose native types DuckDB writes as text (on a cursor of
    its own).

    Returns a dict with ``file`` (name read or None), ``columns`` (contract
    columns present in the file), ``rows`` and ``data``: the raw table as
    Arrow, ``_line`` then every contract column as text.
    """
    info: dict[str, Any] = {"file": None, "columns": set(), "rows": 0,
                            "data": _empty_raw(table)}
    if not files:
        if table.required:
            problems.append(Problem(
                table.name, None, "", "error",
                f"required file missing: expected {table.name}.csv, {table.name}.parquet or "
                f"{table.name}.xlsx; the table is treated as empty"))
        return info
    path = files[0]
    kind = _not_regular(path)
    if kind:
        problems.append(Problem(table.name, None, "", "error",
                                f"{path.name} is {kind}, not a regular file; not read, the "
                                "table is treated as empty"))
        return info
    if len(files) > 1:
        problems.append(Problem(
            table.name, None, "", "error",
            f"more than one file for this table ({', '.join(f.name for f in files)}); "
            f"only {path.name} was read"))
    try:
        if path.suffix.lower() == ".csv":
            src = _read_csv(path)
        elif path.suffix.lower() == ".parquet":
            if database is None:
                raise ValueError("a Parquet file needs the analysis database")
            with database().cursor() as cur:
                src = _read_parquet(cur, path)
        else:
            src = _read_xlsx(path, table)
    except Exception as exc:  # noqa: BLE001 - any reader failure is reported, never raised
        problems.append(Problem(
            table.name, None, "", "error",
            f"cannot read {path.name}: {_first_line(exc)}; the table is treated as empty"))
        return info
    return load_arrow(table, src, path.name, problems)


def load_arrow(table: Table, src: pa.Table, file_name: str, problems: list[Problem]
               ) -> dict[str, Any]:
    """:func:`load_table` for a table already read (or converted, as a REDCap project's
    tables are) as Arrow text columns, named ``file_name`` in messages."""
    info: dict[str, Any] = {"file": file_name, "columns": set(), "rows": 0}
    src_cols = src.column_names
    mapping: dict[str, str] = {}
    for col in src_cols:
        norm = normalize_name(col)
        if norm in mapping:
            problems.append(Problem(
                table.name, 1, norm, "error",
                f"column {col!r} repeats {mapping[norm]!r} once names are matched "
                f"case-insensitively; only the first was read", col))
            continue
        mapping[norm] = col
    n = src.num_rows
    arrays = {"_line": pa.array(np.arange(2, n + 2, dtype=np.int32))}
    for c in table.columns:
        if c.name in mapping:
            info["columns"].add(c.name)
            arrays[c.name] = src.column(src_cols.index(mapping[c.name]))
        else:
            arrays[c.name] = pa.nulls(n, pa.string())
            if c.required:
                problems.append(Problem(
                    table.name, 1, c.name, "error",
                    f"required column {c.name} is missing from {file_name}; "
                    "every row of the table was left out"))
            else:
                problems.append(Problem(
                    table.name, 1, c.name, "warning",
                    f"column {c.name} is missing from {file_name}; treated as empty"))
    info["data"] = pa.table(arrays)
    info["rows"] = n
    return info
