"""Progression: is this pilot on track to justify the main trial? (pooled, never by arm)"""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.main_trial import main_trial
from rfa_dash.analysis.progression import course, progression, recruitment_outlook
from rfa_dash.blinding import sees
from rfa_dash.present.decisions import (
    POOLED_NOTE,
    main_trial_inputs,
    main_trial_view,
    sensitivity_frame,
)
from rfa_dash.present.progression import (
    cards_view,
    course_view,
    label_status,
    pct,
    progression_view,
    sentences_view,
)

ctx = ui.context()
this_page = ui.header("progression", ctx)
st.info("A pilot exists to decide whether, and how, a main trial can proceed. Each criterion "
        "is green (proceed), amber (proceed with changes) or red (stop or rethink), against "
        "thresholds pre-specified in the protocol file; the status follows the point estimate, "
        "the 95% interval is shown beside it. Pooled over arms.", icon=":material/flag:")

t = ui.cached(progression, ctx, ctx.role)
cards = ui.cached(progression, ctx, ctx.role, view=cards_view)
for col, text in zip(st.columns(len(cards)) if cards else [], cards, strict=True):
    col.markdown(text)
for line in ui.cached(progression, ctx, ctx.role, view=sentences_view):
    st.markdown(f"- {line}")
if not sees(ctx.role, "outcomes"):
    st.caption("Retention is not shown to this role: beside the off-study counts, the number "
               "withdrawn or lost would give away the number of deaths.")

ui.chart(st, charts.fig_progression, t, cut=ctx.chart_cut)
table = ui.cached(progression, ctx, ctx.role, view=progression_view)
ui.table(table, "progression")
ui.csv_download(t, "Download the criteria (CSV)", "progression_criteria.csv",
                key="progression_csv")

# the main trial's size needs F, an outcome (pooled): not for a role without outcomes
sizing = sees(ctx.role, "outcomes")
over_time, ahead, rules, *main = ui.tabs(
    ["Course over time", "Recruitment looking ahead", "Definitions"]
    + (["The main trial's size"] if sizing else []), this_page)
if over_time.open:
    with over_time:
        c = ui.cached(course, ctx, ctx.role)
        if c.empty:
            st.info("Accrual has not started by this data cut.")
        else:
            ui.chart(st, charts.fig_progression_course, c, cut=ctx.chart_cut)
            st.caption("Each criterion as the dashboard would have shown it at every month end "
                       "since the accrual start (the last column is the data cut).")
            ui.table(ui.cached(course, ctx, ctx.role, view=course_view), "progression_course")
            ui.csv_download(c, "Download the course (CSV)", "progression_course.csv",
                            key="progression_course_csv")

if ahead.open:
    with ahead:
        o = ui.cached(recruitment_outlook, ctx)
        if o.end is None:
            st.info("Recruitment has no course to project yet (accrual has not started, or the "
                    "protocol file leaves recruitment out).")
        else:
            c1, c2 = st.columns(2)
            c1.metric("Recruitment now", label_status(o.status))
            if o.p_green_at_end is None:
                c2.metric("Planned accrual period", f"ended {o.end.isoformat()}")
            else:
                c2.metric(f"Probability of green at the end of planned accrual ({o.end})",
                          pct(o.p_green_at_end),
                          help=f"Green then needs at least {o.needed_at_end} randomized.")
            if o.changes:
                st.markdown("If the recent rate holds: " + "; ".join(
                    f"**{label_status(s)}** from {d.isoformat()}" for d, s in o.changes) + ".")
            elif o.p_green_at_end is not None:
                st.markdown(f"If the recent rate holds, recruitment stays "
                            f"**{label_status(o.status)}** to the end of planned accrual.")
            st.caption(
                f"Assumptions. The probability comes from the Bayesian Poisson-gamma accrual "
                f"model of the Accrual page (prior certainty {o.prior_certainty:g}): "
                f"randomizations go on at one unknown constant rate, learnt from all accrual so "
                f"far, and green at the end needs at least {o.needed_at_end} randomized. The "
                f"dates assume instead that the rate of the last {o.recent_months} months "
                f"({o.recent_rate_per_month:.1f} a month) holds exactly, with no chance "
                f"variation. Neither knows of a site closing or a new referral source.")

if rules.open:
    with rules:
        st.markdown(
            "| criterion | numerator | denominator | 95% interval |\n|---|---|---|---|\n"
            "| recruitment | randomized | expected by now: target x min(1, months since the "
            "accrual start / planned accrual months) | exact Poisson on the count, over the "
            "expected number |\n"
            "| consent | consented (eligible and consented) | eligible | Clopper-Pearson |\n"
            "| retention | randomized and not off study for withdrawal or loss to follow-up | "
            "randomized | Clopper-Pearson |\n"
            "| adherence | completed visits (any timing) | completed + missed + overdue "
            "visits, every visit month | Clopper-Pearson |\n"
            "| fidelity | received the allocated treatment | randomized with it recorded | "
            "Clopper-Pearson |")
        st.caption("Green when the value is at or above the green threshold, amber at or above "
                   "the amber one, red below; not yet while the denominator is 0. Thresholds, "
                   "labels and which criteria are used: [progression] in the protocol file.")

if main and main[0].open:
    with main[0]:
        st.caption(POOLED_NOTE)
        ui.table(ui.cached(main_trial, ctx, ctx.role, view=main_trial_view), "main_trial")
        for line in main_trial_inputs(ctx.protocol):
            st.markdown(f"- {line}")
        curve = ui.cached(main_trial, ctx, ctx.role, view=sensitivity_frame)
        ui.chart(st, charts.fig_main_trial_sensitivity, curve, cut=ctx.chart_cut)
        ui.csv_download(curve, "Download the sensitivity (CSV)", "main_trial_sensitivity.csv",
                        key="main_trial_csv")
