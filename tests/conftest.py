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
    from rfa_dash.state import store

    store.forget()
