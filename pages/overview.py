"""Overview: enrollment against target, visits due, outcomes pooled, data problems."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.overview import overview
from rfa_dash.analysis.progression import progression
from rfa_dash.present.labels import allocation_note
from rfa_dash.present.progression import strip_view

ctx = ui.context()
ui.header("overview", ctx)
d = ui.cached(overview, ctx, ctx.role)

stage = dict(zip(d.funnel["stage"], d.funnel["n"], strict=True))
c = st.columns(4)
c[0].metric("Screened", stage["screened"])
c[1].metric("Eligible", stage["eligible"])
c[2].metric("Consented", stage["consented"], help="Eligible and consented")
c[3].metric("Randomized", f"{d.randomized} / {d.target}",
            help="Randomized participants against the protocol target")
st.progress(min(1.0, d.randomized / d.target) if d.target else 0.0,
            text=f"{d.randomized / d.target:.0%} of the target of {d.target}" if d.target
            else "")

c = iter(st.columns(5))
next(c).metric("Visits due now", d.visit_counts.get("due", 0))
next(c).metric("Visits overdue", d.visit_counts.get("overdue", 0))
if d.participants_with_sre is not None:
    next(c).metric("Participants with an SRE", d.participants_with_sre, help="Pooled over arms")
    next(c).metric("Deaths", d.deaths, help="Pooled over arms")
next(c).metric("Off study", d.off_study, help="Any reason, pooled over arms")
if "worklist" in ctx.role.pages:
    ui.page_link("worklist", "Open the worklist of due and overdue visits")

if "progression" in ctx.role.pages:
    with st.container(border=True):
        st.markdown(ui.cached(progression, ctx, ctx.role, view=strip_view))
        ui.page_link("progression", "Open Progression criteria")

left, right = st.columns(2)
ui.chart(left, charts.fig_funnel, d.funnel, cut=ctx.chart_cut)
if d.by_arm is not None:
    ui.chart(right, charts.fig_allocation, d.by_arm, colors=ctx.protocol.arm_colors,
             target=d.target, cut=ctx.chart_cut)
    if d.allocation_as_of != ctx.as_of:
        right.caption(allocation_note(d.allocation_as_of))
else:
    right.info("Allocation by arm is not shown to the coordinator role.")

with st.container(border=True):
    if d.errors or d.warnings:
        st.markdown(f"**Data problems:** {d.errors} error(s), {d.warnings} warning(s). "
                    "Rows with errors were left out of every figure.")
    else:
        st.markdown("**Data problems:** none found.")
    ui.page_link("data_quality", "Open Data quality")
