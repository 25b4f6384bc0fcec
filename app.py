"""rfa_dash: the router. Page config, shared sidebar, the role's pages (rfa_dash.page_registry), run
the page."""

import streamlit as st

from rfa_dash import startup, ui
from rfa_dash.state.errors import StoreError
from rfa_dash.ui import outage

st.set_page_config(page_title="rfa_dash · NCT07090122", page_icon=":material/monitoring:",
                   layout="wide")

try:
    startup.import_earlier_files()   # an earlier version's files, once per process
    startup.check_folders()          # a folder it cannot write: one line in the log
    ctx = ui.sidebar()
    if ctx is None:  # signing in, or no export chosen yet
        st.navigation([st.Page(ui.gate, title="rfa_dash", url_path="start")],
                      position="hidden").run()
        st.stop()
    ui.navigation(ctx.role.pages).run()
except StoreError as exc:  # the state store busy, unreachable or full: one message, no URL
    outage.show(exc)
