"""SQL is data: one query per file, named after what it returns, its grain in its header,
and every file reachable from the code by a name the contract or the code gives."""

import re
from pathlib import Path

import pytest

from rfa_dash.contract import TABLE_ORDER
from rfa_dash.db import SQL_DIR
from rfa_dash.ingest.validate import FIXES

PACKAGE = SQL_DIR.parent
CODE = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
KINDS = {"staging", "protocol", "checks", "derived", "results", "cuts"}


def test_sql_lives_in_its_kinds_folders_only():
    assert not list(SQL_DIR.glob("*.sql"))
    assert {p.parent.name for p in SQL_DIR.rglob("*.sql")} == KINDS


@pytest.mark.parametrize("path", sorted((SQL_DIR / "results").glob("*.sql"))
                         + sorted((SQL_DIR / "cuts").glob("*.sql")), ids=lambda p: p.stem)
def test_query_states_its_name_and_grain(path: Path):
    head = path.read_text(encoding="utf-8").split("\n\n")[0]
    assert head.startswith(f"-- {path.stem}: one row"), head[:80]


@pytest.mark.parametrize("path", sorted((SQL_DIR / "results").glob("*.sql")), ids=lambda p: p.stem)
def test_every_result_query_is_used(path: Path):
    assert re.search(rf"[\"']{path.stem}[\"']", CODE), f"nothing runs results/{path.stem}"


def test_every_table_has_its_checks_and_its_cut():
    for t in TABLE_ORDER:
        assert (SQL_DIR / "checks" / f"{t}.sql").is_file(), t
        assert (SQL_DIR / "cuts" / f"{t}.sql").is_file(), t
    for fix in FIXES.values():
        assert (SQL_DIR / f"{fix}.sql").is_file(), fix
    extra = {p.stem for p in (SQL_DIR / "checks").glob("*.sql")} - set(TABLE_ORDER) - {
        Path(f).name for f in FIXES.values()}
    assert not extra, extra


def test_values_are_bound_never_formatted():
    # a $name parameter, never a Python format field, inside SQL files
    for path in SQL_DIR.rglob("*.sql"):
        assert not re.search(r"\{[a-z_]+\}", path.read_text(encoding="utf-8")), path
