"""Shared test set-up: the state store (SQLite), cache and earlier files go to a temporary
folder, never the user's."""

import pytest

from tests.helpers import run_pages_like_the_server

run_pages_like_the_server()


@pytest.fixture(autouse=True)
def _private_state(tmp_path_factory, monkeypatch):
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("RFA_DASH_AUDIT_LOG", str(state / "audit.log"))
    monkeypatch.setenv("RFA_DASH_CUTS_DIR", str(state / "cuts"))
    monkeypatch.setenv("RFA_DASH_CACHE_DIR", str(state / "cache"))
    monkeypatch.setenv("RFA_DASH_STATE_URL", f"sqlite:///{state / 'state.sqlite'}")
    monkeypatch.delenv("RFA_DASH_USERS", raising=False)
    monkeypatch.delenv("RFA_DASH_AUTH", raising=False)
    monkeypatch.delenv("RFA_DASH_SECRET", raising=False)
    # the folder source is on only with an export root: tests open folders anywhere
    monkeypatch.setenv("RFA_DASH_EXPORT_ROOT", "/")
    yield state
    from rfa_dash import startup
    from rfa_dash.state import store

    store.forget()
    startup.forget()


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server on loopback for the whole run (tests/pg_server.py)."""
    from tests.pg_server import Server

    server = Server().start()
    yield server
    server.stop()


_DB_COUNT = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, _private_state, monkeypatch):
    """The test's state store, on SQLite and on a real PostgreSQL server in turn (a fresh
    database each); ``RFA_DASH_STATE_URL`` is set to it."""
    if request.param == "sqlite":
        url = f"sqlite:///{_private_state / 'state.sqlite'}"
    else:
        url = request.getfixturevalue("pg_server").create(f"t{next(_DB_COUNT)}")
    monkeypatch.setenv("RFA_DASH_STATE_URL", url)
    monkeypatch.setenv("RFA_DASH_SECRET", "state-test-secret")
    yield url
