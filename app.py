"""rfa_dash: the router. Page config, shared sidebar, navigation, run the page."""

import streamlit as st

from rfa_dash import ui

st.set_page_config(page_title="rfa_dash · NCT07090122", page_icon=":material/monitoring:",
                   layout="wide")

# every page: its file and how it is listed (a role opens those in its protocol entry)
PAGES = {
    "overview": dict(page="pages/overview.py", title="Overview", icon=":material/dashboard:",
                     default=True),
    "progression": dict(page="pages/progression.py", title="Progression",
                        icon=":material/flag:"),
    "eligibility": dict(page="pages/eligibility.py", title="Eligibility",
                        icon=":material/filter_alt:"),
    "accrual": dict(page="pages/accrual.py", title="Accrual", icon=":material/trending_up:"),
    "balance": dict(page="pages/balance.py", title="Arm balance", icon=":material/balance:"),
    "visits": dict(page="pages/visits.py", title="Visit adherence",
                   icon=":material/event_available:"),
    "worklist": dict(page="pages/worklist.py", title="Worklist", icon=":material/checklist:"),
    "sre": dict(page="pages/sre.py", title="SRE incidence", icon=":material/show_chart:"),
    "safety": dict(page="pages/safety.py", title="Safety", icon=":material/health_and_safety:"),
    "report": dict(page="pages/report.py", title="DSMB report", icon=":material/description:"),
    "data_quality": dict(page="pages/data_quality.py", title="Data quality",
                         icon=":material/rule:"),
}

ctx = ui.sidebar()
if ctx is None:  # signing in, or no export chosen yet
    st.navigation([st.Page(ui.gate, title="rfa_dash", url_path="start")],
                  position="hidden").run()
    st.stop()
ui.navigation(PAGES, ctx.role.pages).run()
