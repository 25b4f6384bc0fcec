"""The shared sidebar (sign-in, export, as-of date, role) and the role's navigation."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from rfa_dash.ingest.export import ExportError
from rfa_dash.page_registry import PAGES
from rfa_dash.protocol import ProtocolError, load_protocol
from rfa_dash.ui import signin, source
from rfa_dash.ui.context import Context
from rfa_dash.version import stamp

# keyboard focus seen on every link, button and tab (the sidebar's page links showed it at
# 1.11:1): the arm-blue outline is 5.3:1 on white and on the sidebar
FOCUS_STYLE = """<style>
a:focus-visible, button:focus-visible, [role="tab"]:focus-visible, input:focus-visible {
  outline: 3px solid #0072B2 !important; outline-offset: 2px;
}
</style>"""


def sidebar() -> Context | None:
    """Draw the shared sidebar; return the context, or None when nothing can be shown yet."""
    # the app's name is not a heading: each page's own title is its one h1
    st.sidebar.markdown("**rfa_dash**")
    st.html(FOCUS_STYLE)
    try:
        protocol = load_protocol()
    except ProtocolError as exc:
        st.error(f"Protocol settings cannot be read: {exc}")
        return None
    st.session_state["_gate"] = None
    user, demo = signin.identity(protocol)
    if user is None:
        return None
    if demo:
        st.sidebar.warning("DEMO MODE: no sign-in is configured, so only the bundled synthetic "
                           "sample is served and the role is chosen below.",
                           icon=":material/lock_open:")
    else:
        st.sidebar.caption(f"Signed in as **{user.username}** "
                           f"({protocol.roles[user.role].label})")
        st.sidebar.button("Sign out", on_click=signin.sign_out, key="sign_out")
    folder, label = source.choose_folder(demo, user.username, user.role)
    if folder is None:
        st.session_state["_gate"] = "export"
        return None
    try:
        exp = source.load_export(folder, protocol.source)
    except ExportError as exc:
        st.sidebar.error(str(exc))
        return None
    as_of = st.sidebar.date_input(
        "As of (data cut)", value=exp.default_as_of, key=f"as_of_{exp.fingerprint[:16]}",
        help="Records dated after this day are treated as not yet existing. Default: the "
             "export's exported_at, else today.", format="YYYY-MM-DD")
    if demo:
        role_name = st.sidebar.selectbox(
            "Role", list(protocol.roles), key="role",
            format_func=lambda r: protocol.roles[r].label,
            help="Demo mode: no sign-in is configured, so the role is chosen here.")
    else:
        role_name = user.role
    ctx = Context(export=exp, as_of=as_of, role=protocol.roles[role_name], source_label=label,
                  user=user.username, demo=demo)
    made = stamp(exp.fingerprint, protocol.source)
    # one element, not two: every element is paid for on every rerun
    st.sidebar.caption(f"{ctx.cut}  \n{made.code_line()} · protocol SHA-256 {made.protocol}")
    st.session_state["_ctx"] = ctx
    return ctx


def navigation(allowed: Iterable[str]) -> StreamlitPage:
    """``st.navigation`` over the pages (:data:`rfa_dash.page_registry.PAGES`) in ``allowed``.

    The page objects are made once per session and list of pages (creating
    them resolves every file path, on every rerun otherwise). Only the pages
    of the role are registered: any other page's URL is not found.
    """
    names = tuple(name for name in PAGES if name in allowed)
    made = st.session_state.setdefault("_pages", {})
    if names not in made:
        made[names] = [st.Page(p.file, title=p.nav, icon=p.icon, default=p.default)
                       for p in map(PAGES.__getitem__, names)]
    return st.navigation(made[names], expanded=True)   # every page listed, none behind "more"
