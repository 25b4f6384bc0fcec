"""DuckDB touches no file (the export is read by pyarrow) and its settings cannot be changed
by a query."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from rfa_dash.ingest.export import open_export
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
    # the database the queries run on cannot even read the export folder,
    # let alone write to it
    folder = make_export(tmp_path / "e")
    exp = open_export(folder)
    with pytest.raises(duckdb.Error):
        exp.con.execute("SELECT count(*) FROM read_csv($p)",
                        {"p": str(folder / "screening.csv")}).fetchall()


def test_no_database_is_given_a_folder_while_loading(tmp_path, monkeypatch):
    # files are read by pyarrow and handed over as Arrow tables: every DuckDB
    # database made to load an export, from its files or from the cache, has
    # no file access at all
    from rfa_dash import db

    made = []
    real = db.hardened_connection

    def record(readable_dir):
        made.append(readable_dir)
        return real(readable_dir)

    monkeypatch.setattr(db, "hardened_connection", record)
    monkeypatch.setenv("RFA_DASH_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_export(tmp_path / "e")
    pd.DataFrame({"participant_id": ["001"], "off_study_date": [dt.date(2025, 3, 1)],
                  "reason": ["death"]}).to_parquet(folder / "offstudy.parquet")
    (folder / "offstudy.csv").unlink()
    for _ in range(2):  # the second open reads the Parquet cache
        exp = open_export(folder)
        assert exp.con.execute("SELECT count(*) FROM stg_offstudy").fetchone() == (1,)
    assert len(made) == 2 and made == [None, None]
