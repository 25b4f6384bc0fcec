"""The one data-access path: a hardened DuckDB connection and named queries.

Queries live one per file in ``rfa_dash/sql/``; values are always bound
parameters. Every query runs on its own cursor because a DuckDB connection is
not safe to share between threads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

SQL_DIR = Path(__file__).parent / "sql"


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """Text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def hardened_connection(readable_dir: Path | None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database that can read only ``readable_dir``.

    External access is off (no network, no other files), extension loading
    is off, and the configuration is locked so no query can undo it.
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
    con.execute("SET lock_configuration = true")
    return con


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run the named query on a fresh cursor and return a DataFrame."""
    cur = con.cursor()
    try:
        return cur.execute(sql_text(name), params or {}).df()
    finally:
        cur.close()
