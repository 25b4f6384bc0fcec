"""Pain: pain over time, pain response per visit month, and opioid use (by arm for the
DSMB, pooled for the open role)."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.pain import courses, over_time, response
from rfa_dash.blinding import scope_note
from rfa_dash.present.labels import group_colors, group_labels
from rfa_dash.present.patients import PAIN_ONLY_NOTE, pain_response_view

ctx = ui.context()
this_page = ui.header("pain", ctx)
labels, colors = group_labels(ctx.protocol), group_colors(ctx.protocol)
st.info(" ".join(x for x in (ctx.protocol.comparison_note,
                             scope_note(ctx.role, len(ctx.protocol.arms))) if x),
        icon=":material/info:")
over = ui.cached(over_time, ctx, ctx.role)
time_tab, response_tab, opioid_tab = ui.tabs(
    ["Pain over time", "Pain response", "Opioid use"], this_page)

if time_tab.open:
    with time_tab:
        show = st.toggle("Show each participant's course", key="pain_courses")
        # every participant's course is computed only when asked for: at 100,000
        # participants it is half a million points
        lines = ui.cached(courses, ctx, ctx.role) if show else None
        ids = list(dict.fromkeys(lines["participant_id"])) if lines is not None else []
        pick = st.selectbox("Pick out one participant", [None, *ids], key="pain_pick",
                            format_func=lambda p: "none" if p is None else str(p)
                            ) if show else None
        ui.chart(st, charts.fig_pain_over_time, over, colors=colors, labels=labels,
                 cut=ctx.chart_cut, courses=lines if show else None, highlight=pick)
        st.caption("Worst pain at the treated site on the 0-10 numeric rating scale, at "
                   "baseline (month 0) and at each completed visit; mean with its 95% "
                   "t interval, cut at the scale's ends (0 and 10). Change from baseline: "
                   "mean of each participant's change.")
        table = over[["group", "month", "n", "mean_pain", "lower", "upper",
                      "mean_change"]].round(2)
        ui.table(table.assign(group=[labels.get(g, g) for g in table["group"]]), "pain_over")

if response_tab.open:
    with response_tab:
        resp = ui.cached(response, ctx, ctx.role)
        ui.chart(st, charts.fig_pain_response, resp, labels=labels, cut=ctx.chart_cut)
        view = ui.cached(response, ctx, ctx.role, view=pain_response_view)
        ui.table(view, "pain_response")
        ui.csv_download(view, "Download pain response (CSV)", "pain_response.csv",
                        key="pain_response_csv")
        st.caption("International Consensus on palliative radiotherapy endpoints (Chow et "
                   "al. 2012): complete, pain 0 without more opioids; partial, pain 2 or "
                   "more below baseline without more opioids, or opioids down by a quarter "
                   "without more pain; progression, pain 2 or more above baseline on the "
                   "same opioids, or more opioids with pain the same or 1 above. Evaluable: "
                   "baseline pain 2 or more, the visit done or its window closed; the rate "
                   "is among those assessed.")
        st.markdown(PAIN_ONLY_NOTE)

if opioid_tab.open:
    with opioid_tab:
        left, right = st.columns(2)
        ui.chart(left, charts.fig_omed, over, colors=colors, labels=labels, cut=ctx.chart_cut)
        ui.chart(right, charts.fig_pain_over_time, over, colors=colors, labels=labels,
                 cut=ctx.chart_cut)
        st.caption("Opioid use as the daily oral morphine equivalent dose (OMED, mg/day), "
                   "median among participants with one recorded, beside pain.")
