"""state/schema.py (what the code reads and writes) and the migrations (what a store is
made of) describe the same tables: Alembic's own comparison finds no difference on a
store migrated from nothing, on SQLite and on PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rfa_dash.state import schema, store


def test_the_migrated_store_is_the_schema(state_url):
    eng = store.engine(state_url)
    with eng.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, schema.metadata)
    assert diff == []


def test_a_store_of_the_first_revision_is_upgraded(tmp_path):
    # a store made by the first release (revision 0001, cuts without made_by) opens with
    # every cut saying "not recorded"
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, select, text

    u = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_engine(u)
    with old.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(store.MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO cuts (name, as_of, trial, synthetic, cut_of, "
                          "source_exported_at, saved_at, saved_by, fingerprint) VALUES "
                          "('c', '2026-01-01', 'T', 0, 'x', '', 'now', 'me', 'f')"))
    old.dispose()
    with store.reading(u) as conn:
        assert conn.execute(select(schema.cuts.c.made_by)).scalar() == "not recorded"
    store.forget(u)
