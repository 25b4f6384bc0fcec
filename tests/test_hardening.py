"""DuckDB reads only the export folder and its settings cannot be changed by a query."""

import duckdb
import pytest

from rfa_dash.export import open_export
from tests.helpers import make_export


def test_cannot_read_outside_the_export(tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n")
    exp = open_export(make_export(tmp_path / "e"))
    with pytest.raises(duckdb.Error):
        exp.con.execute("SELECT * FROM read_csv($p)", {"p": str(outside)}).fetchall()
    with pytest.raises(duckdb.Error):
        exp.con.execute("SELECT * FROM read_text('/etc/hostname')").fetchall()


def test_configuration_is_locked(tmp_path):
    exp = open_export(make_export(tmp_path / "e"))
    for stmt in ("SET enable_external_access = true", "SET allowed_directories = ['/']",
                 "SET autoload_known_extensions = true"):
        with pytest.raises(duckdb.Error):
            exp.con.execute(stmt)


def test_cannot_write_files(tmp_path):
    folder = make_export(tmp_path / "e")
    exp = open_export(folder)
    with pytest.raises(duckdb.Error):
        exp.con.execute(f"COPY stg_screening TO '{folder / 'x.csv'}'")
    assert not (folder / "x.csv").exists()


def test_analysis_database_touches_no_file_at_all(tmp_path):
    # the export is copied in by a short-lived reader; the database the queries
    # run on cannot even read the export folder, let alone write to it
    folder = make_export(tmp_path / "e")
    exp = open_export(folder)
    with pytest.raises(duckdb.Error):
        exp.con.execute("SELECT count(*) FROM read_csv($p)",
                        {"p": str(folder / "screening.csv")}).fetchall()


def test_reader_connection_reads_only_its_folder(tmp_path):
    from rfa_dash.db import hardened_connection

    folder = make_export(tmp_path / "e")
    (tmp_path / "other.csv").write_text("a\n1\n")
    con = hardened_connection(folder)
    assert con.execute("SELECT count(*) FROM read_csv($p)",
                       {"p": str(folder / "screening.csv")}).fetchall() == [(1,)]
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM read_csv($p)", {"p": str(tmp_path / "other.csv")}).fetchall()
