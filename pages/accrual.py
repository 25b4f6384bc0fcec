"""Accrual: pace against the target, rates with exact intervals, projected completion."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.accrual import accrual
from rfa_dash.contract import MONTH_DAYS
from rfa_dash.present.enrollment import rates_view

ctx = ui.context()
ui.header("accrual", ctx)
acc = ui.cached(accrual, ctx)
p = acc.projection
target = ctx.protocol.target

c = st.columns([1, 1, 2])
c[0].metric("Randomized", f"{acc.randomized} / {target}")
if p is None:
    c[1].metric("Projected to reach target", "-")
elif p.reached:
    c[1].metric("Target", "reached")
else:
    c[1].metric("Target reached by (median)", p.median.isoformat())
    c[2].markdown(f"**80% predictive band:** {p.band80[0]} to {p.band80[1]}  \n"
                  f"**95% predictive band:** {p.band95[0]} to {p.band95[1]}")

ui.chart(st, charts.fig_accrual, acc, target, cut=ctx.chart_cut)
if p is not None:
    st.caption(
        f"Projection: Bayesian Poisson-gamma accrual model (Gajewski, Simon and Carlson 2008). "
        f"Prior on the daily accrual rate: Gamma({target} x P, {p.planned_days:.0f} days x P) "
        f"with prior certainty P = {p.prior_certainty:g} (the planned pace of {target} in "
        f"{p.planned_days / MONTH_DAYS:.0f} months, worth {p.prior_certainty:g} of a trial's "
        f"information). Posterior after {p.randomized} randomized in {p.elapsed_days} days since "
        f"{acc.start.isoformat()}: Gamma({p.shape:g}, {p.rate:g}). Future randomizations are "
        "negative binomial; the bands are its predictive quantiles. Assumes a constant rate "
        "from now on; a site closure or a new referral source breaks that assumption.")

ui.chart(st, charts.fig_monthly, acc.monthly, cut=ctx.chart_cut)
st.markdown("**Screening rates** (exact Clopper-Pearson 95% intervals)")
ui.table(ui.cached(accrual, ctx, view=rates_view), "rates")
