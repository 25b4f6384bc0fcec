"""Read the export's files into raw tables of text.

Each table becomes an Arrow table (validation scans it as ``raw_<table>``):
one text column per contract column (absent columns are NULL) plus
``_line``, the file line of the row (the header is line 1; for Parquet and
Excel, the row number counted the same way). A CSV file streams from
DuckDB's reader straight into Arrow, never materialized twice. Nothing is
ever written to the export folder.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from rfa_dash.contract import FILE_SUFFIXES, TABLES, Table
from rfa_dash.db import ident
from rfa_dash.problems import Problem

EXCEL_EPOCH = dt.date(1899, 12, 30)


def normalize_name(name: str) -> str:
    """Column name as matched: trimmed, lower case, inner spaces as ``_``."""
    return re.sub(r"\s+", "_", str(name).strip().lower())


def find_files(folder: Path) -> dict[str, list[Path]]:
    """Files of each contract table in ``folder`` (file names matched case-insensitively)."""
    by_lower = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_file()}
    found: dict[str, list[Path]] = {}
    for name in TABLES:
        found[name] = [by_lower[name + s] for s in FILE_SUFFIXES if name + s in by_lower]
    return found


def _read_csv(con, path: Path) -> pa.Table:
    # DuckDB keeps file order in results (preserve_insertion_order), so row i
    # of the Arrow table is file line i + 2.
    return con.sql(
        "SELECT * FROM read_csv($p, all_varchar = true, "
        "header = true, delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8')",
        params={"p": str(path)},
    ).to_arrow_table()


def _read_parquet(con, path: Path) -> pa.Table:
    con.execute("CREATE OR REPLACE TEMP TABLE src0 AS SELECT * FROM read_parquet($p)",
                {"p": str(path)})
    cols = con.execute("DESCRIBE src0").fetchall()
    exprs = []
    for name, typ, *_ in cols:
        t = typ.upper()
        if t == "DATE" or t.startswith("TIMESTAMP"):
            e = f"strftime(CAST({ident(name)} AS DATE), '%Y-%m-%d')"
        elif t == "BOOLEAN":
            e = f"CASE WHEN {ident(name)} THEN 'true' WHEN NOT {ident(name)} THEN 'false' END"
        elif t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
            # 7.0 -> "7": whole numbers read back as whole numbers
            e = (f"CASE WHEN {ident(name)} = trunc({ident(name)}) AND abs({ident(name)}) < 1e15 "
                 f"THEN CAST(CAST({ident(name)} AS BIGINT) AS VARCHAR) "
                 f"ELSE CAST({ident(name)} AS VARCHAR) END")
        else:
            e = f"CAST({ident(name)} AS VARCHAR)"
        exprs.append(f"{e} AS {ident(name)}")
    try:
        return con.sql("SELECT " + ", ".join(exprs) + " FROM src0").to_arrow_table()
    finally:
        con.execute("DROP TABLE src0")


def _excel_text(value, is_date: bool) -> str | None:
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


def _read_xlsx(con, path: Path, table: Table) -> pa.Table:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValueError("the first sheet is empty; expected a header row")
        names = ["" if h is None else str(h) for h in header]
        date_cols = {i for i, n in enumerate(names)
                     if normalize_name(n) in table.names
                     and table.column(normalize_name(n)).kind == "date"}
        data = []
        for row in rows:
            if row is None or all(v is None for v in row):
                data.append([None] * len(names))
                continue
            vals = list(row)[: len(names)] + [None] * max(0, len(names) - len(row))
            data.append([_excel_text(v, i in date_cols) for i, v in enumerate(vals)])
    finally:
        wb.close()
    # keep duplicate header names apart until normalisation reports them
    frame = pd.DataFrame(data, columns=[f"c{i}" for i in range(len(names))], dtype="object")
    con.register("xlsx_frame", frame)
    select = ", ".join(f"CAST(c{i} AS VARCHAR) AS {ident(n or f'column{i + 1}')}"
                       for i, n in enumerate(names))
    try:
        return con.sql(f"SELECT {select} FROM xlsx_frame").to_arrow_table()
    finally:
        con.unregister("xlsx_frame")


def _empty_raw(table: Table) -> pa.Table:
    return pa.table({"_line": pa.array([], pa.int32()),
                     **{c: pa.array([], pa.string()) for c in table.names}})


def _first_line(msg: str) -> str:
    text = str(msg).strip().splitlines()[0] if str(msg).strip() else "unknown error"
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def load_table(con, table: Table, files: list[Path], problems: list[Problem]) -> dict:
    """Read the table's file through the reader connection ``con``.

    Returns a dict with ``file`` (name read or None), ``columns`` (contract
    columns present in the file), ``rows`` and ``data``: the raw table as
    Arrow, ``_line`` then every contract column as text.
    """
    info = {"file": None, "columns": set(), "rows": 0, "data": _empty_raw(table)}
    if not files:
        if table.required:
            problems.append(Problem(
                table.name, None, "", "error",
                f"required file missing: expected {table.name}.csv, {table.name}.parquet or "
                f"{table.name}.xlsx; the table is treated as empty"))
        return info
    path = files[0]
    if len(files) > 1:
        problems.append(Problem(
            table.name, None, "", "error",
            f"more than one file for this table ({', '.join(f.name for f in files)}); "
            f"only {path.name} was read"))
    try:
        if path.suffix.lower() == ".csv":
            src = _read_csv(con, path)
        elif path.suffix.lower() == ".parquet":
            src = _read_parquet(con, path)
        else:
            src = _read_xlsx(con, path, table)
    except Exception as exc:  # noqa: BLE001 - any reader failure is reported, never raised
        problems.append(Problem(
            table.name, None, "", "error",
            f"cannot read {path.name}: {_first_line(exc)}; the table is treated as empty"))
        return info
    info["file"] = path.name
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
                    f"required column {c.name} is missing from {path.name}; "
                    "every row of the table was left out"))
            else:
                problems.append(Problem(
                    table.name, 1, c.name, "warning",
                    f"column {c.name} is missing from {path.name}; treated as empty"))
    info["data"] = pa.table(arrays)
    info["rows"] = n
    return info
