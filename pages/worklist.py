"""Worklist: overdue visits, visits due now and windows opening soon. Never the arm."""

import streamlit as st

from rfa_dash import ui
from rfa_dash.analysis.visits import WORKLIST_HORIZON_DAYS, worklist
from rfa_dash.present.visits import worklist_csv, worklist_ics, worklist_view

ctx = ui.context()
ui.header("worklist", ctx)
parts = ui.cached(worklist, ctx, view=worklist_view)

c = st.columns(4)
c[0].metric("Overdue", len(parts["overdue"]))
c[1].metric("Due now", len(parts["due"]))
c[2].metric(f"Opening in {WORKLIST_HORIZON_DAYS} days", len(parts["upcoming"]))
c[3].metric("To record as missed", len(parts["record_missed"]),
            help="Overdue visits of participants seen at a later visit since the window "
                 "closed: the visit can no longer be done; record it as missed in the EDC.")

d = st.columns(2)
d[0].download_button("Download worklist (CSV)",
                     lambda: worklist_csv(worklist(ctx.export, ctx.as_of)),
                     file_name=f"worklist_{ctx.as_of.isoformat()}.csv", mime="text/csv",
                     on_click="ignore", icon=":material/download:", key="wl_csv")
d[1].download_button("Add windows to a calendar (.ics)",
                     lambda: worklist_ics(worklist(ctx.export, ctx.as_of), ctx.as_of,
                                          ctx.protocol.registry_id),
                     file_name=f"visit_windows_{ctx.as_of.isoformat()}.ics",
                     mime="text/calendar", on_click="ignore", icon=":material/event:",
                     key="wl_ics")

for key, title, empty in (
    ("overdue", "Overdue, most overdue first", "No overdue visit."),
    ("due", "Due now, window closing soonest first", "No visit window is open."),
    ("upcoming", f"Windows opening in the next {WORKLIST_HORIZON_DAYS} days",
     "No window opens soon."),
    ("record_missed", "To record as missed: the window closed and the participant has been "
     "seen since", "Nothing to record as missed."),
):
    st.header(title)
    if parts[key].empty:
        st.success(empty)
    else:
        ui.table(parts[key], f"wl_{key}", ctx=ctx)
