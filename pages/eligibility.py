"""Eligibility: funnel, why patients fail, near misses, incomplete screenings."""

import streamlit as st

from rfa_dash import charts, charts_enrollment, ui
from rfa_dash.eligibility import (
    consort,
    criteria_table,
    detail,
    failures_per_criterion,
    incomplete,
    near_misses,
    sequential_exclusion,
)
from rfa_dash.overview import overview

ctx = ui.context()
ui.header("Eligibility and screening", ctx)
det = ui.cached(detail, ctx)
d = ui.cached(overview, ctx, ctx.role)

left, right = st.columns(2)
left.plotly_chart(charts.fig_funnel(d.funnel, cut=ctx.chart_cut), width="stretch")
flow = ui.cached(consort, ctx, ctx.role.allocation)
right.plotly_chart(charts_enrollment.fig_consort(flow, colors=ctx.protocol.arm_colors,
                                                 cut=ctx.chart_cut), width="stretch")

st.subheader("Why patients fail")
left, right = st.columns(2)
left.plotly_chart(charts_enrollment.fig_criteria(failures_per_criterion(det), cut=ctx.chart_cut),
                  width="stretch")
right.plotly_chart(charts_enrollment.fig_sequential(sequential_exclusion(det), len(det),
                                                    cut=ctx.chart_cut), width="stretch")

st.subheader("Near misses")
st.caption(f"Ineligible only through lab values within "
           f"{ctx.protocol.eligibility['near_miss_fraction']:.0%} of the threshold: "
           "candidates for a repeat lab.")
nm = ui.cached(near_misses, ctx)
if nm.empty:
    st.success("No near miss at this data cut.")
else:
    st.dataframe(nm, hide_index=True, width="stretch")
    ui.csv_download(nm, "Download near misses (CSV)", "near_misses.csv", key="nm_csv")

st.subheader("Incomplete screenings")
inc = ui.cached(incomplete, ctx)
if inc.empty:
    st.success("Every screening has the values its criteria need.")
else:
    st.dataframe(inc, hide_index=True, width="stretch")
    ui.csv_download(inc, "Download incomplete screenings (CSV)", "incomplete_screenings.csv",
                    key="inc_csv")

st.subheader("Every screened patient")
table = criteria_table(det)
st.dataframe(table, hide_index=True, width="stretch")
ui.csv_download(table, "Download the criteria table (CSV)", "eligibility.csv", key="elig_csv")
