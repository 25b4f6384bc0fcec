"""Safety: adverse events by grade, seriousness and relatedness; deaths; grade 3+ events."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.safety import safety
from rfa_dash.analysis.safety_rule import safety_rule
from rfa_dash.blinding import scope_note
from rfa_dash.present.decisions import (
    PATH_NOTE,
    boundary_chart_frame,
    boundary_view,
    counts_sentence,
    oc_view,
    status_sentence,
)
from rfa_dash.present.labels import group_colors, group_labels
from rfa_dash.present.outcomes import safety_tables

ctx = ui.context()
this_page = ui.header("safety", ctx)
s = ui.cached(safety, ctx, ctx.role)
labels, colors = group_labels(ctx.protocol), group_colors(ctx.protocol)
st.caption(scope_note(ctx.role, len(ctx.protocol.arms)))
if not s.has_ae_table:
    st.warning("The export has no adverse_events table (it is optional): only deaths are shown.")

st.header("Safety stopping rule")
rule = ui.cached(safety_rule, ctx, ctx.role)
(st.warning if rule.status.status == "crossed" else st.success)(
    status_sentence(rule), icon=":material/health_and_safety:")
st.caption(counts_sentence(rule) + ("" if rule.path is not None else " " + PATH_NOTE))
ui.chart(st, charts.fig_safety_rule,
         ui.cached(safety_rule, ctx, ctx.role, view=boundary_chart_frame),
         color=colors.get(rule.settings.arm, "#000000"), label=rule.arm_label,
         cut=ctx.chart_cut)
st.caption("The boundary and the operating characteristics are in the tabs below"
           + ("; so is every evaluable participant, those beyond the last monitored one "
              "too." if rule.path is not None else "."))

st.header("Adverse events by worst grade")
tables = ui.cached(safety, ctx, ctx.role, view=safety_tables)
ui.table(tables["grades"], "grades")
ui.chart(st, charts.fig_ae_grades, s.by_grade, colors=colors, labels=labels,
         cut=ctx.chart_cut)
serious_tab, soc_tab, deaths_tab, grade3_tab, pre_tab, rule_tab, oc_tab = ui.tabs(
    ["Serious and related", "By system organ class", f"Deaths ({len(s.deaths)})",
     "Grade 3 or higher", f"Before treatment ({len(s.pretreatment)})",
     "Stopping rule: boundary" + (" and path" if rule.path is not None else ""),
     "Stopping rule: operating characteristics"], this_page)
if rule_tab.open:
    with rule_tab:
        st.caption("The rule is crossed when the events among the first k evaluable "
                   "participants reach the number in the second column.")
        ui.table(ui.cached(safety_rule, ctx, ctx.role, view=boundary_view), "safety_rule")

if oc_tab.open:
    with oc_tab:
        ui.chart(st, charts.fig_safety_oc, rule.oc, p0=rule.settings.p0, p1=rule.settings.p1,
                 cut=ctx.chart_cut)
        ui.table(ui.cached(safety_rule, ctx, ctx.role, view=oc_view), "safety_oc")
        st.caption("Exact over every binomial path: the chance that the rule stops the arm "
                   "by its last participant, and how many participants monitoring then "
                   "took on average, if the true rate were the one in the first column.")

if serious_tab.open:
    with serious_tab:
        left, right = st.columns(2)
        left.markdown("**Serious**")
        ui.table(tables["serious"], "serious", container=left)
        right.markdown("**Related to the study procedure**")
        ui.table(tables["related"], "related", container=right)

if soc_tab.open:
    with soc_tab:
        st.caption("Treatment-emergent events by MedDRA system organ class (its line) and "
                   "term: participants (% of the group) / events.")
        ui.table(tables["soc"], "soc")
        ui.csv_download(tables["soc"], "Download by system organ class (CSV)",
                        "ae_by_soc.csv", key="soc_csv")

if deaths_tab.open:
    with deaths_tab:
        ui.table(s.deaths, "deaths", ctx=ctx)

if grade3_tab.open:
    with grade3_tab:
        st.caption("Participants with a grade 3 or higher event.")
        ui.table(s.grade3, "grade3", ctx=ctx)
        ui.csv_download(s.grade3, "Download grade 3+ events (CSV)", "grade3_events.csv",
                        key="g3_csv")

if pre_tab.open:
    with pre_tab:
        st.caption("Adverse events that began before treatment (events are collected from "
                   "consent on): kept, but not treatment-emergent, so in none of the counts "
                   "above. onset_imputed: the export gave only a month or a year.")
        ui.table(s.pretreatment, "pretreatment", ctx=ctx)
