"""rfa_dash: the router. Page config, shared sidebar, navigation, run the page."""

import streamlit as st

from rfa_dash import ui

st.set_page_config(page_title="rfa_dash · NCT07090122", page_icon=":material/monitoring:",
                   layout="wide")

PAGES = {
    "overview": st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:",
                        default=True),
    "eligibility": st.Page("pages/eligibility.py", title="Eligibility",
                           icon=":material/filter_alt:"),
    "accrual": st.Page("pages/accrual.py", title="Accrual", icon=":material/trending_up:"),
    "balance": st.Page("pages/balance.py", title="Arm balance", icon=":material/balance:"),
    "visits": st.Page("pages/visits.py", title="Visit adherence",
                      icon=":material/event_available:"),
    "worklist": st.Page("pages/worklist.py", title="Worklist", icon=":material/checklist:"),
    "sre": st.Page("pages/sre.py", title="SRE incidence", icon=":material/show_chart:"),
    "safety": st.Page("pages/safety.py", title="Safety", icon=":material/health_and_safety:"),
    "report": st.Page("pages/report.py", title="DSMB report", icon=":material/description:"),
    "data_quality": st.Page("pages/data_quality.py", title="Data quality",
                            icon=":material/rule:"),
}

ctx = ui.sidebar()
if ctx is None:  # signing in, or no export chosen yet
    st.navigation([st.Page(ui.gate, title="rfa_dash", url_path="start")],
                  position="hidden").run()
    st.stop()
pg = st.navigation([PAGES[p] for p in PAGES if p in ctx.role.pages])
pg.run()
