"""The one data-access path: a hardened DuckDB connection and named queries.

Queries live one per file under ``rfa_dash/sql/`` (``staging/``, ``checks/``,
``derived/``, ``results/``, ``cuts/``: see ``docs/architecture.md``); values
are always bound parameters. Every query runs on its own cursor because a DuckDB connection is
not safe to share between threads.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent / "sql"
# a database connection, or a cursor of one (DuckDB gives both the same type)
Connection = duckdb.DuckDBPyConnection


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (for column names read from files)."""
    return '"' + name.replace('"', '""') + '"'


@cache
def sql_text(name: str) -> str:
    """Text of ``sql/<name>.sql`` (``name`` is a path below ``sql/``, e.g. ``results/worklist``)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def hardened_connection(readable_dir: Path | None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database that can reach only ``readable_dir``.

    External access is off (no network, no other files), extension loading
    is off, and the configuration is locked so no query can undo it. With
    ``readable_dir=None`` the database cannot touch the file system at all:
    that is the analysis database (exports are read by pyarrow and handed to
    it as Arrow tables). Only ``synth`` gives a folder, the one it writes.
    """
    con = duckdb.connect(
        ":memory:",
        config={
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "threads": 2,
        },
    )
    dirs = [str(readable_dir.resolve()) + "/"] if readable_dir else []
    con.execute("SET allowed_directories = $dirs", {"dirs": dirs})
    con.execute("SET enable_external_access = false")
    # dates of time-zoned timestamps are their UTC dates, whatever the server's TZ (cursors
    # do not inherit this: the Parquet reader converts explicitly, ingest/loader.py)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lock_configuration = true")
    return con


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None,
        arrow: bool = False, numpy: bool = False):
    """Run the named query on a fresh cursor; return a DataFrame (an Arrow table with
    ``arrow``: typed and compact, for whole tables; NumPy arrays by column with ``numpy``,
    masked where NULL: what a command computes on without loading pandas)."""
    return run_text(con, sql_text(name), params, arrow, numpy)


def run_text(con: duckdb.DuckDBPyConnection, text: str, params: dict | None = None,
             arrow: bool = False, numpy: bool = False):
    """:func:`run` for query text that the contract generates (see ``contract.typed_select``)."""
    with con.cursor() as cur:
        if arrow:
            return cur.sql(text, params=params or {}).to_arrow_table()
        if numpy:   # (pyarrow's conversions to NumPy import pandas; DuckDB's do not)
            return cur.sql(text, params=params or {}).fetchnumpy()
        return cur.execute(text, params or {}).df()


def create_from_arrow(dst: duckdb.DuckDBPyConnection, table: str, data) -> None:
    """Create (or replace) ``table`` in ``dst`` holding the Arrow table ``data``."""
    dst.register("_copy_in", data)
    try:
        dst.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _copy_in")
    finally:
        dst.unregister("_copy_in")
