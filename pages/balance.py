"""Arm balance: allocation against the protocol ratio, baseline by arm, treatment received."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.balance import allocation, baseline_table, received_as_allocated
from rfa_dash.blinding import sees
from rfa_dash.present.labels import allocation_note

ctx = ui.context()
this_page = ui.header("balance", ctx)
if not sees(ctx.role, "allocation"):  # never reached through navigation; a second guard
    st.stop()
al = ui.cached(allocation, ctx, ctx.role)
ratio = ":".join(str(a.ratio) for a in ctx.protocol.arms)
if al.as_of != ctx.as_of:
    st.info(allocation_note(al.as_of))
left, right = st.columns(2)
ui.chart(left, charts.fig_allocation, al.counts, colors=ctx.protocol.arm_colors,
         target=ctx.protocol.target, cut=ctx.chart_cut)
if al.p_value is not None:
    first = al.counts.iloc[0]
    left.markdown(
        f"Observed {' : '.join(str(int(n)) for n in al.counts['n'])} against {ratio}. "
        f"Exact binomial test of {first['label']}'s share ({int(first['n'])} of "
        f"{int(al.counts['n'].sum())}) against {first['expected_share']:.3f}: "
        f"p = {al.p_value:.3f}.")
ui.chart(right, charts.fig_allocation_over_time,
         al.cumulative, colors=ctx.protocol.arm_colors, labels=ctx.protocol.arm_labels,
         cut=ctx.chart_cut)
if not sees(ctx.role, "outcomes_by_arm"):
    right.caption("Shown at month ends: the arm of an individual randomization is not shown "
                  "to this role.")

baseline_tab, received_tab = ui.tabs(["Baseline characteristics by arm",
                                     "Received as allocated"], this_page)
if baseline_tab.open:
    with baseline_tab:
        base = ui.cached(baseline_table, ctx, ctx.role)
        ui.table(base, "base", height=35 * (len(base) + 1) + 3)
        st.caption("SMD: standardized mean difference between the first two arms (continuous: "
                   "difference in means over the pooled SD; categorical: Yang and Dalton's "
                   "multi-level SMD). |SMD| above 0.1 is commonly read as imbalance; in a small "
                   f"trial (this one targets {ctx.protocol.target}) chance alone often "
                   "produces that.")
        ui.csv_download(base, "Download baseline table (CSV)", "baseline_by_arm.csv",
                        key="base_csv")

if received_tab.open:
    with received_tab:
        ui.table(ui.cached(received_as_allocated, ctx, ctx.role), "received")
