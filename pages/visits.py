"""Visit adherence: rates per visit month and over time, the status grid, retention."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.visits import (
    GRID_PAGE_SIZE,
    STATUS_LABELS,
    adherence,
    adherence_by_quarter,
    retention,
    visit_grid,
)
from rfa_dash.present.visits import adherence_by_measure_view, adherence_view

ctx = ui.context()
this_page = ui.header("visits", ctx)
adh = ui.cached(adherence, ctx)

st.caption("Adherence = completed (in window, early or late) / (completed + missed + overdue). "
           "In window = completed inside the protocol window / the same denominator. Visits "
           "not yet due, not expected (off study) or unscheduled (no treatment date) are not "
           "counted.")
ui.table(ui.cached(adherence, ctx, view=adherence_by_measure_view), "adherence")
table = ui.cached(adherence, ctx, view=adherence_view)   # the download: a row per month
ui.csv_download(table, "Download adherence (CSV)", "visit_adherence.csv", key="adh_csv")

left, right = st.columns(2)
ui.chart(left, charts.fig_adherence, adh, cut=ctx.chart_cut)
quarters = ui.cached(adherence_by_quarter, ctx)
if quarters.empty:
    right.info("No visit window has closed yet.")
else:
    ui.chart(right, charts.fig_adherence_over_time, quarters, cut=ctx.chart_cut)

by_month, by_participant, retention_tab = ui.tabs(
    ["Status by visit month", "Status by participant", "Retention"], this_page)
if by_month.open:
    with by_month:
        ui.chart(st, charts.fig_status_by_month, adh, labels=STATUS_LABELS, cut=ctx.chart_cut)

if by_participant.open:
    with by_participant:
        first = ui.cached(visit_grid, ctx, 1)
        n = int(first["n_participants"].iloc[0]) if len(first) else 0
        page = ui.page_number(n, GRID_PAGE_SIZE, "grid_page",
                              f"Page of {GRID_PAGE_SIZE} participants")
        grid = first if page == 1 else ui.cached(visit_grid, ctx, page)
        if grid.empty:
            st.info("No participant has been randomized by this data cut.")
        else:
            ui.chart(st, charts.fig_visit_grid, grid, labels=STATUS_LABELS, cut=ctx.chart_cut)
            ui.open_participant(ctx, grid["participant_id"], "grid_open")

if retention_tab.open:
    with retention_tab:
        ret = ui.cached(retention, ctx, ctx.role)
        if ret.empty:
            st.info("No participant has been randomized by this data cut.")
        else:
            ui.chart(st, charts.fig_retention, ret, cut=ctx.chart_cut)
