"""Eligibility: funnel, why patients fail, near misses, incomplete screenings."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.eligibility import (
    PAGE_ROWS,
    consort,
    criterion_counts,
    detail,
    incomplete,
    near_misses,
)
from rfa_dash.analysis.overview import overview
from rfa_dash.present.enrollment import criteria_csv, criteria_view

ctx = ui.context()
this_page = ui.header("eligibility", ctx)
d = ui.cached(overview, ctx, ctx.role)
screened = int(d.funnel["n"].iloc[0])

left, right = st.columns(2)
ui.chart(left, charts.fig_funnel, d.funnel, cut=ctx.chart_cut)
flow = ui.cached(consort, ctx, ctx.role)
ui.chart(right, charts.fig_consort, flow, colors=ctx.protocol.arm_colors,
         cut=ctx.chart_cut)

why, near, incomplete_tab, every = ui.tabs(
    ["Why patients fail", "Near misses", "Incomplete screenings", "Every screened patient"],
    this_page)
if why.open:
    with why:
        left, right = st.columns(2)
        ui.chart(left, charts.fig_criteria, ui.cached(criterion_counts, ctx),
                 cut=ctx.chart_cut)
        ui.chart(right, charts.fig_sequential, flow["steps"], screened, flow["incomplete"],
                 cut=ctx.chart_cut)

if near.open:
    with near:
        st.caption(f"Ineligible only through lab values within "
                   f"{ctx.protocol.eligibility['near_miss_fraction']:.0%} of the threshold: "
                   "candidates for a repeat lab.")
        nm = ui.cached(near_misses, ctx)
        if nm.empty:
            st.success("No near miss at this data cut.")
        else:
            ui.table(nm, "nm")
            ui.csv_download(nm, "Download near misses (CSV)", "near_misses.csv", key="nm_csv")

if incomplete_tab.open:
    with incomplete_tab:
        inc = ui.cached(incomplete, ctx)
        if inc.empty:
            st.success("Every screening has the values its criteria need.")
        else:
            ui.table(inc, "inc")
            ui.csv_download(inc, "Download incomplete screenings (CSV)",
                            "incomplete_screenings.csv", key="inc_csv")

if every.open:
    with every:
        page = ui.page_number(screened, PAGE_ROWS, "elig_page",
                              f"Page ({PAGE_ROWS} patients each, by screening ID)")
        ui.table(ui.cached(detail, ctx, page, PAGE_ROWS, view=criteria_view), "elig_detail",
                 page_size=PAGE_ROWS)
        st.download_button("Download the criteria table, every patient (CSV)",
                           lambda: criteria_csv(ctx.export, ctx.as_of),
                           file_name="eligibility.csv", mime="text/csv", on_click="ignore",
                           icon=":material/download:", key="elig_csv")
