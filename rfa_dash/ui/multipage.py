"""Streamlit's two multipage modes, and why this project has to handle both.

The design keeps one script per page in ``pages/`` beside ``app.py``. A
``pages/`` folder makes Streamlit start in its version-1 multipage mode, in
which every file there is a page of its own. The router (``app.py``) calls
``st.navigation``, and its first call switches that mode off for the
server's lifetime: from then on every rerun runs ``app.py`` (sign-in,
sidebar, the role's pages) and then the page. Two places still meet the old
mode, and both are handled here, nowhere else:

- A page URL opened on a fresh server, before any session ran the router,
  runs the page file on its own: :func:`hand_over_to_router` sends it to the
  router, which signs in, applies the role's navigation and picks the page.
  And until then, each new session is told the ``pages/`` scripts' raw names
  for its sidebar (a browser reconnecting to a restarted server shows them
  until the router runs). ``python -m rfa_dash serve`` calls
  :func:`router_only` before its server starts, so neither happens there;
  plain ``streamlit run app.py`` still meets both, and is handled as above.
- Streamlit's ``AppTest`` (1.67) switches the old mode back on before every
  run, so a page after ``switch_page`` would run on its own with the previous
  run's sidebar state. :func:`run_like_the_server` (for tests and the
  benchmark only) keeps it off, as the server does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

ENTRYPOINT = str(Path(__file__).resolve().parent.parent.parent / "app.py")


def hand_over_to_router() -> None:
    """Rerun as the router: a page file was started on its own (see the module text)."""
    st.switch_page(ENTRYPOINT)


def router_only() -> None:
    """Switch the old mode off for this process before any session starts: every session
    runs the router from its first message, which names no page of ``pages/``."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def run_like_the_server() -> None:
    """Make ``AppTest`` run the router on every rerun, as the server does.

    Patches Streamlit's ``PagesManager`` for the whole process; calling it
    again does nothing.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "_rfa_like_server", False):
        return
    original = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    setattr(PagesManager, "__init__", init)  # noqa: B010 - a deliberate, test-only patch
    setattr(PagesManager, "_rfa_like_server", True)  # noqa: B010
