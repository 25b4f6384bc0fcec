"""Data quality: every problem found in the export, filterable and downloadable."""

import streamlit as st

from rfa_dash import ui
from rfa_dash.analysis.quality import (
    hidden_arms,
    lines_note,
    problem_tables,
    role_problems,
    shown_problems,
    table_summary,
)

ctx = ui.context()
ui.header("data_quality", ctx)
exp = ctx.export

st.header("Files")
ui.table(ui.cached_export(table_summary, ctx, ctx.role), "files")
problems, withheld = ui.cached_export(role_problems, ctx, ctx.role)

st.header(f"Problems ({exp.n_errors} errors, {exp.n_warnings} warnings"
             + (f", {exp.n_notes} notes)" if exp.n_notes else ")"))
st.caption(ui.cached_export(lines_note, ctx) + " Rows with an error in a required value, a "
           "duplicate or orphan ID or a date before randomization are left out of every "
           "figure; other bad values are treated as missing. The export is never modified.")
if withheld:
    st.info(f"{withheld} problem(s) in outcome and safety records are not shown to this role; "
            "the data manager sees them.")
hidden = ui.cached_export(hidden_arms, ctx, ctx.role)
if hidden:
    st.info(f"{hidden} problem(s) in the arm, or the field it comes from, are shown without "
            "their value: it would tell this role a participant's arm.")
if problems.empty:   # no filters to offer: they would be drawn disabled, and filter nothing
    st.success("No problems found: every row passed the data contract.")
else:
    c = st.columns([2, 2, 3])
    tables = c[0].multiselect("Table", ui.cached_export(problem_tables, ctx, ctx.role),
                              key="dq_tables")
    sev = c[1].multiselect("Severity", ["error", "warning", "info"], key="dq_sev")
    text = c[2].text_input("Search messages", key="dq_text")
    shown = ui.cached_export(shown_problems, ctx, ctx.role, tuple(tables), tuple(sev), text)
    ui.table(shown, "dq")
    ui.csv_download(shown, "Download problems (CSV)", "data_problems.csv", key="dq_download")
