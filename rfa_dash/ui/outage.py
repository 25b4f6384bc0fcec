"""A store failure on a page: what it means for the person, never the store's name.

The page says what happened in words a visitor can act on (busy, full, unavailable:
:meth:`rfa_dash.state.errors.StoreError.public`), whether what they were doing was
recorded, and nothing else: no path, URL, host, user name or driver text, since a
visitor who has not signed in may be anyone. The operator's detail (the store's URL
without its password, the driver's first line) goes to the server's log.
"""

from __future__ import annotations

import logging

import streamlit as st

from rfa_dash.state.errors import StoreError

LOG = logging.getLogger("rfa_dash.store")


def show(exc: StoreError, what: str | None = "What was being done") -> None:
    """Say on the page that the store failed (and that ``what`` was not recorded, unless
    None: a read); log the detail for the operator."""
    LOG.error("state store failure (%s): %s", exc.kind, exc)
    said = f" {what} was not recorded." if what else ""
    st.error(exc.public() + said, icon=":material/cloud_off:")
