"""DSMB report: the self-contained HTML report, and frozen data cuts with what changed."""

import streamlit as st

from rfa_dash import auth, ui
from rfa_dash.analysis import cuts
from rfa_dash.protocol import sees
from rfa_dash.report import build_report

ctx = ui.context()
ui.header("DSMB report", ctx)
closed = sees(ctx.role, "outcomes_by_arm")
st.markdown(f"**{'CLOSED' if closed else 'OPEN'} report** for the {ctx.role.label.lower()} role: "
            + ("outcomes and safety by arm." if closed else "outcomes and safety pooled."))
st.caption(f"Export SHA-256 {ctx.export.fingerprint}")


def _log_download() -> None:
    auth.audit("report_download", ctx.user, ctx.role.name, ctx.export.fingerprint,
               detail=f"as_of={ctx.as_of.isoformat()}")


# built when clicked (cached): the report embeds plotly.js and is megabytes
st.download_button(
    "Download the report (HTML)", lambda: ui.cached(build_report, ctx, ctx.role).encode("utf-8"),
    file_name=f"{ctx.protocol.registry_id}_{'closed' if closed else 'open'}_report_"
              f"{ctx.as_of.isoformat()}.html",
    mime="text/html", on_click=_log_download, icon=":material/download:", key="report_dl")

st.subheader("Frozen data cuts")
root = cuts.cuts_dir()
st.caption(f"Cuts are saved under {root} as Parquet with a manifest and fingerprint; each cut "
           "opens as an export folder.")
if st.button(f"Save the data cut of {ctx.as_of.isoformat()}", key="save_cut"):
    folder = cuts.save_cut(ctx.export, ctx.as_of, root)
    auth.audit("cut_saved", ctx.user, ctx.role.name, ctx.export.fingerprint, detail=folder.name)
    st.success(f"Saved {folder.name}.")
saved = ui.cached_folder(cuts.list_cuts, root)
if saved.empty:
    st.info("No cut saved yet.")
else:
    ui.table(ui.cached_folder(cuts.list_cuts, root, view=cuts.cut_listing), "saved_cuts")
    default = cuts.previous_cut(saved, ctx.as_of)
    options = list(saved["folder"])
    chosen = st.selectbox("Compare the current data with", options,
                          index=options.index(default) if default in options else 0,
                          format_func=lambda f: f.rsplit("/", 1)[-1], key="cut_prev")
    ch = ui.cached(cuts.changes_since, ctx, chosen, ctx.role)
    c = st.columns(4)
    c[0].metric("New randomizations", len(ch["randomized"]))
    c[1].metric("New SREs", len(ch["sre"]))
    c[2].metric("New deaths", len(ch["deaths"]))
    c[3].metric("Edited records", len(ch["edited"]))
    lists = [(key, title) for key, title in (
        ("randomized", "New randomizations"), ("randomized_by_arm", "New randomizations by arm"),
        ("sre", "New SREs"), ("deaths", "New deaths"), ("edited", "Edited records"))
        if len(ch[key])]
    if lists:  # one tab per list that has rows, drawn when open
        tabs = ui.tabs([f"{title} ({len(ch[key])})" for key, title in lists], key="cut_tab")
        for (key, _), tab in zip(lists, tabs, strict=True):
            if tab.open:
                with tab:
                    ui.table(ch[key], f"cut_{key}")
