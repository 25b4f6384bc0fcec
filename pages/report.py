"""DSMB report: the report as PDF, self-contained HTML or DOCX, and frozen data cuts with
what changed."""

import streamlit as st

from rfa_dash import auth, ui
from rfa_dash.analysis import cuts
from rfa_dash.report import RenderError, notice_file, report_file, session_of, warm_renderer
from rfa_dash.state.cuts import CutDamaged
from rfa_dash.version import stamp

ctx = ui.context()
this_page = ui.header("report", ctx)
warm_renderer()   # the charts' Chromium starts while the page is read, not on the download
# the session (open, closed or masked) is decided in one place, session_of: here the
# protocol's default, which the toggle below may change for a closed role
default_session = session_of(ctx.role, None, ctx.protocol)
closed = default_session != "open"
st.markdown(f"**{'CLOSED' if closed else 'OPEN'} session report** for the "
            f"{ctx.role.label} role: "
            + ("outcomes and safety by arm." if closed else "conduct, outcomes and safety "
               "pooled; nothing by arm."))
st.caption(f"Export SHA-256 {ctx.export.fingerprint}")
masked = None
if closed:
    masked = st.toggle("Masked: arms shown as Group A / Group B, "
                       + ("the key on the last page" if ctx.protocol.report.key == "page"
                          else "without the key"),
                       value=default_session == "masked", key="report_masked")

# the download buttons go on top, filled in once the previous cut is known (below)
top = st.container()

st.header("Frozen data cuts")
st.caption("A cut is saved in the dashboard's store: every table as of the data cut with its "
           "SHA-256, checked on every read (a cut changed afterwards is listed as damaged and "
           "never compared with). `python -m rfa_dash export-cut` writes one out as an "
           "export folder.")
if st.button(f"Save the data cut of {ctx.as_of.isoformat()}", key="save_cut"):
    saved_now = cuts.save_cut(ctx.export, ctx.as_of, ctx.user, ctx.role.name)
    if saved_now.created:
        st.success(f"Saved {saved_now.name}.")
    else:
        st.info(f"{saved_now.name} was saved already (by you or another session): one cut.")
saved = cuts.list_cuts()
chosen = None
if saved.empty:
    st.info("No cut saved yet.")
else:
    ui.table(saved, "saved_cuts")
    default = cuts.previous_cut(saved, ctx.as_of)
    options = list(saved.loc[saved["status"] == "intact", "cut"])
    if not options:
        st.warning("Every saved cut is damaged: none can be compared with.")
    else:
        chosen = st.selectbox("Compare the current data with (also the report's last section)",
                              options, index=options.index(default) if default in options
                              else 0, key="cut_prev")
        try:
            ch = ui.cached(cuts.changes_since, ctx, chosen, ctx.role)
        except CutDamaged as exc:     # damaged since it was listed
            st.error(str(exc))
            chosen, ch = None, None
    if chosen and ch is not None:
        c = st.columns(5)
        c[0].metric("New randomizations", len(ch["randomized"]))
        c[1].metric("New SREs", len(ch["sre"]))
        c[2].metric("New deaths", len(ch["deaths"]))
        c[3].metric("New SAEs", len(ch["saes"]))
        c[4].metric("New deviations", len(ch["deviations"]))
        lists = [(key, title) for key, title in (
            ("randomized", "New randomizations"),
            ("randomized_by_arm", "New randomizations by arm"),
            ("sre", "New SREs"), ("deaths", "New deaths"), ("saes", "New SAEs"),
            ("deviations", "New deviations"), ("edited", "Edited records"))
            if len(ch[key])]
        if lists:  # one tab per list that has rows, drawn when open
            tabs = ui.tabs([f"{title} ({len(ch[key])})" for key, title in lists], this_page)
            for (key, _), tab in zip(lists, tabs, strict=True):
                if tab.open:
                    with tab:
                        ui.table(ch[key], f"cut_{key}")

session = session_of(ctx.role, masked, ctx.protocol)
# the PDF the top button gives is made while the page is read; a click joins it
ui.prefetch(report_file, ctx, ctx.role, "pdf", masked, chosen)


def _report(fmt: str) -> bytes:
    """Built when the download is asked for (cached), and audited then: the download runs
    without a rerun, so the file cannot vanish under a rerun that a slow PDF build lets
    finish first."""
    try:
        data = ui.cached(report_file, ctx, ctx.role, fmt, masked, chosen)
    except (RenderError, CutDamaged) as exc:   # the download says why, in its format
        auth.audit("report_download_failed", ctx.user, ctx.role.name, ctx.export.fingerprint,
                   detail=f"as_of={ctx.as_of.isoformat()} format={fmt} session={session}")
        return notice_file(fmt, f"{exc}. Try again in a minute; if it happens again, tell "
                                "the dashboard's administrator.")
    made = stamp(ctx.export.fingerprint, ctx.protocol.source)
    auth.audit("report_download", ctx.user, ctx.role.name, ctx.export.fingerprint,
               detail=f"as_of={ctx.as_of.isoformat()} format={fmt} session={session} "
                      f"made_by={made.line()}")
    return data


name = f"{ctx.protocol.registry_id}_{session}_report_{ctx.as_of.isoformat()}"
with top:
    c = st.columns(3)
    c[0].download_button(
        "Download the report (PDF)", lambda: _report("pdf"), file_name=f"{name}.pdf",
        mime="application/pdf", on_click="ignore", icon=":material/picture_as_pdf:",
        key="report_pdf")
    c[1].download_button(
        "Download the report (HTML)", lambda: _report("html"), file_name=f"{name}.html",
        mime="text/html", on_click="ignore", icon=":material/download:", key="report_dl")
    c[2].download_button(
        "Download the report (DOCX)", lambda: _report("docx"), file_name=f"{name}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        on_click="ignore", icon=":material/description:", key="report_docx")
    st.caption("The report's last section lists the changes since "
               + (chosen if chosen else "no earlier cut (none saved)")
               + ".")
