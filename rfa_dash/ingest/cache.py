"""Parquet cache of loaded exports, keyed by the export's fingerprint.

Loading and validating a large export takes seconds; the staged tables and
the problems found depend only on the export's bytes, the protocol file and
this code. They are saved once as Parquet under ``RFA_DASH_CACHE_DIR``
(default ``~/.cache/rfa_dash``), in a folder named by a hash of all three, so
a second start reads them back instead. Any change to the export, the
protocol or the code gives a new key; stale folders are simply never read.
An entry is written whole (files fsync'd, then the folder renamed into
place); one that cannot be read back (damaged, cut short) is discarded with
an info line and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from rfa_dash import files, settings
from rfa_dash.contract import TABLE_ORDER
from rfa_dash.version import code_hash


def cache_root() -> Path:
    return settings.cache_dir()


def cache_key(fingerprint: str, protocol_source: str) -> str:
    h = hashlib.sha256()
    h.update(fingerprint.encode())
    try:
        h.update(Path(protocol_source).read_bytes())
    except OSError:
        h.update(protocol_source.encode())
    h.update(code_hash().encode())
    return h.hexdigest()[:40]


def cache_folder(key: str, export_folder: Path) -> Path | None:
    """The cache folder for ``key``; None when it would sit inside the export."""
    root = cache_root().resolve()
    if root.is_relative_to(export_folder.resolve()):
        return None
    return root / key


TABLES = [f"stg_{t}" for t in TABLE_ORDER] + ["rows_read"]


def save(con: duckdb.DuckDBPyConnection, folder: Path, problems: pa.Table,
         meta: dict[str, Any]) -> None:
    """Write the staged tables, the problems and ``meta`` (files, manifest) to ``folder``."""
    tmp = folder.with_name(folder.name + f".partial{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
    except OSError:   # the folder cannot be made here (no permission, not a folder, ...)
        unwritable(folder.parent)
        return
    try:
        for t in TABLES:
            pq.write_table(con.cursor().sql(f"SELECT * FROM {t}").to_arrow_table(),
                           tmp / f"{t}.parquet")
        pq.write_table(problems, tmp / "problems.parquet")
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        files.fsync_files(tmp)
        tmp.replace(folder)
        files.fsync_path(folder.parent)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process won, or no space: no cache


_TOLD: set[Path] = set()


def unwritable(root: Path) -> None:
    """Say once per process, in one line, that the cache folder cannot be written (the
    exports are then loaded without a cache: slower, never wrong)."""
    if root not in _TOLD:
        _TOLD.add(root)
        print(f"rfa_dash: warning: the cache folder {root} cannot be written by this user "
              f"({settings.CACHE_DIR.name}); exports are loaded without a cache until it can",
              file=sys.stderr)


def check_writable() -> bool:
    """At start-up: whether the cache folder can be made and written (one line if not)."""
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        unwritable(root)
        return False


# what reading a damaged entry raises: the files cut short or changed
DAMAGE = (OSError, ValueError, KeyError, TypeError, duckdb.Error)


def discard(folder: Path, exc: BaseException) -> None:
    """Remove a damaged entry (it is rebuilt), with one info line."""
    why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    print(f"rfa_dash: info: the cache entry {folder.name} could not be read ({why}); "
          "it is rebuilt", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)


def _read(path: Path) -> pa.Table:
    with pq.ParquetFile(path) as f:
        return f.read()


def load(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[pa.Table, dict[str, Any]]:
    """Copy the cached tables into ``con`` (read by pyarrow); return (problems, meta)."""
    from rfa_dash.db import create_from_arrow

    # ParquetFile, not read_table: the latter goes through pyarrow.dataset, which loads
    # pandas (a quarter of a second of every command's start-up)
    for t in TABLES:
        create_from_arrow(con, t, _read(folder / f"{t}.parquet"))
    problems = _read(folder / "problems.parquet")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if not isinstance(meta.get("files"), dict) or not isinstance(meta.get("manifest"), dict):
        raise ValueError("meta.json lacks its files or manifest")
    return problems, meta
