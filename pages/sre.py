"""Skeletal-related events: cumulative incidence (by arm for the DSMB, pooled otherwise)."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.recurrent import mean_cumulative_sres, morbidity_rate, record_listing
from rfa_dash.analysis.sre import SWIMMER_PAGE, components, events_by_type, sre_analysis, swimmer
from rfa_dash.blinding import scope_note, sees
from rfa_dash.present.labels import group_colors, group_labels
from rfa_dash.present.outcomes import components_view, estimates_view, gray_note
from rfa_dash.present.patients import mcf_view, rate_view

ctx = ui.context()
this_page = ui.header("sre", ctx)
by_arm = sees(ctx.role, "outcomes_by_arm")
labels, colors = group_labels(ctx.protocol), group_colors(ctx.protocol)

st.info(" ".join(x for x in (ctx.protocol.comparison_note,
                             scope_note(ctx.role, len(ctx.protocol.arms))) if x),
        icon=":material/info:")
res = ui.cached(sre_analysis, ctx, ctx.role)
ui.chart(st, charts.fig_cif, res.curves, colors=colors, labels=labels, at_risk=res.table,
         report_months=ctx.protocol.report_months, cut=ctx.chart_cut)
st.caption("Aalen-Johansen estimate with death before any SRE as the competing risk; shaded: "
           "95% pointwise interval (complementary log-log). Time zero is randomization; "
           "participants without an SRE or death are censored at their last completed visit. "
           "Numbers at risk: participants followed that long without an SRE or death (a first "
           "SRE ends a participant's time at risk in this chart).")
estimates, every, parts, listing, follow_up = ui.tabs(
    ["Estimates at the report months", "Every SRE", "SRE components", "Event listing",
     "Follow-up per participant"], this_page)
if estimates.open:
    with estimates:
        table = ui.cached(sre_analysis, ctx, ctx.role, view=estimates_view)
        ui.table(table, "sre_est")
        ui.csv_download(table, "Download estimates (CSV)", "sre_estimates.csv",
                        key="sre_est_csv")
        if by_arm:
            st.markdown(gray_note(res, labels))

if every.open:
    with every:
        mcf = ui.cached(mean_cumulative_sres, ctx, ctx.role)
        ui.chart(st, charts.fig_mcf, mcf.curves, colors=colors, labels=labels,
                 at_risk=mcf.table, report_months=ctx.protocol.report_months,
                 cut=ctx.chart_cut)
        st.caption("Mean cumulative number of SREs per participant, death a terminal event "
                   "(Ghosh and Lin); shaded: 95% interval. Records on one date are one SRE, "
                   f"and a record fewer than {ctx.protocol.sre_min_gap_days} days after the "
                   "previous counted SRE is the same SRE (protocol: min_gap_days). Numbers "
                   "at risk: participants alive and followed that long, with or without "
                   "earlier SREs (each SRE counts here), hence more than under the first "
                   "chart, which stops at a participant's first SRE.")
        # one above the other: side by side, the rate table's columns were cut off
        st.markdown("**At the report months**")
        ui.table(ui.cached(mean_cumulative_sres, ctx, ctx.role, view=mcf_view), "mcf")
        st.markdown("**Skeletal morbidity rate**")
        rate = ui.cached(morbidity_rate, ctx, ctx.role, view=rate_view)
        ui.table(rate, "sre_rate")
        st.caption("Counted SREs per participant-year of follow-up (to death, else the "
                      "latest visit or SRE), exact Poisson 95% interval.")

if parts.open:
    with parts:
        left, right = st.columns([3, 2])
        ui.table(ui.cached(components, ctx, ctx.role, view=components_view), "components",
                 container=left)
        left.caption("Each component: time to its first event, death competing; other SRE "
                     "types do not end follow-up.")
        counts = ui.cached(events_by_type, ctx, ctx.role)
        if counts.empty:
            right.info("No SRE by this data cut.")
        else:
            ui.chart(right, charts.fig_sre_types, counts, colors=colors, labels=labels,
                     cut=ctx.chart_cut)

if listing.open:
    with listing:
        events = ui.cached(record_listing, ctx, ctx.role)
        st.caption("Every SRE record; counted: a new SRE by the spec's rules, else why not.")
        ui.table(events, "sre_events", ctx=ctx)
        ui.csv_download(events, "Download event listing (CSV)", "sre_events.csv",
                        key="sre_ev_csv")

if follow_up.open:
    with follow_up:
        sw = ui.cached(swimmer, ctx, ctx.role, 1)
        n_sw = int(sw["n_participants"].iloc[0]) if len(sw) else 0
        page = ui.page_number(n_sw, SWIMMER_PAGE, "swim_page",
                              f"Page of {SWIMMER_PAGE} participants, in randomization order")
        if page > 1:
            sw = ui.cached(swimmer, ctx, ctx.role, page)
        if sw.empty:
            st.info("No participant has been randomized by this data cut.")
        else:
            ui.chart(st, charts.fig_swimmer, sw, colors=colors, labels=labels,
                     cut=ctx.chart_cut)
            ui.open_participant(ctx, sw["participant_id"], "swim_open")
