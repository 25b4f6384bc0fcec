"""Safety: adverse events by grade, seriousness and relatedness; deaths; grade 3+ events."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.safety import flags_display, grade_table, safety
from rfa_dash.sre import group_colors, group_labels

ctx = ui.context()
ui.header("Safety", ctx)
s = ui.cached(safety, ctx, ctx.role)
labels, colors = group_labels(ctx.protocol), group_colors(ctx.protocol)
st.caption("Closed report: by arm." if ctx.role.outcomes_by_arm else
           "Open report: pooled over both arms.")
if not s.has_ae_table:
    st.warning("The export has no adverse_events table (it is optional): only deaths are shown.")

st.subheader("Adverse events by worst grade")
st.dataframe(grade_table(s, labels), hide_index=True, width="stretch")
st.plotly_chart(charts.fig_ae_grades(s.by_grade, colors=colors, labels=labels,
                                     cut=ctx.chart_cut), width="stretch")
left, right = st.columns(2)
left.markdown("**Serious**")
left.dataframe(flags_display(s.seriousness, labels), hide_index=True, width="stretch")
right.markdown("**Related to the study procedure**")
right.dataframe(flags_display(s.relatedness, labels), hide_index=True, width="stretch")

st.subheader(f"Deaths ({len(s.deaths)})")
ui.table(s.deaths, "deaths")

st.subheader("Participants with a grade 3 or higher event")
ui.table(s.grade3, "grade3")
ui.csv_download(s.grade3, "Download grade 3+ events (CSV)", "grade3_events.csv", key="g3_csv")
