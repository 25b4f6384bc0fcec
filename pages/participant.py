"""One participant's course: screening, consent, randomization, treatment, each visit
window, SREs, adverse events, deviations and off study, on one time line and as tables.
What each role sees follows its listings (rfa_dash.analysis.profile)."""

import streamlit as st

from rfa_dash import charts, ui
from rfa_dash.analysis.profile import participant_ids, profile
from rfa_dash.blinding import sees, shows_participant_outcomes
from rfa_dash.present.formats import fmt_day, fmt_number

ctx = ui.context()
this_page = ui.header("participant", ctx)
ids = ui.cached(participant_ids, ctx)
if not ids:
    st.info("No participant has been randomized by this data cut.")
    st.stop()
# The URL's ?pid= wins only when it came from outside (a link, a bookmark, a new visit):
# once this page has written it, a choice in the box is the newer word.
asked = st.query_params.get("pid")
if asked in ids and (asked != st.session_state.get("_participant_url_pid")
                     or "participant_pid" not in st.session_state):
    st.session_state["participant_pid"] = asked
pid = st.selectbox("Participant", ids, key="participant_pid",
                   help="Also opened from a row of a listing, the worklist or the visit grid.")
st.query_params["pid"] = st.session_state["_participant_url_pid"] = pid
p = ui.cached(profile, ctx, ctx.role, pid)
s = p.summary

facts = [f"**Screening** {s['screening_id']}, screened {fmt_day(s['screen_date'])}, "
         f"consented {fmt_day(s['consent_date'])}",
         f"**Randomized** {fmt_day(s['randomization_date'])}"
         + (f" to **{ctx.protocol.arm_labels.get(s['arm'], s['arm'])}**" if "arm" in s else ""),
         f"**Treated** {fmt_day(s['treatment_date'])}"
         + ("" if s["received_allocated"] is None else
            " (as allocated)" if s["received_allocated"] else " (not as allocated)"),
         f"**Off study** {fmt_day(s['off_study_date'])}"
         + (f" ({str(s['off_study_reason']).replace('_', ' ')})"
            if s.get("off_study_reason") else "")]
if "baseline_pain" in s:
    facts.append(f"**Baseline** pain {fmt_number(s['baseline_pain'])} of 10, opioids "
                 f"{fmt_number(s['baseline_omed'])} mg/day OMED")
st.markdown("  \n".join(facts))
if not shows_participant_outcomes(ctx.role):
    st.caption("Outcomes (pain, SREs, adverse events, deviations, why a participant left "
               "the study) are not shown to this role"
               + ("" if "arm" in s or not sees(ctx.role, "outcomes") else
                  ": its listings name no participant (protocol: listing_ids)") + ".")
ui.chart(st, charts.fig_profile, p.timeline, cut=ctx.chart_cut,
         title=f"Participant {pid}: the course to the data cut")

parts = [("Visits", p.visits), ("Screening", p.criteria)]
parts += [(name, df) for name, df in (("SREs", p.sres), ("Adverse events", p.adverse_events),
                                      ("Deviations", p.deviations)) if df is not None]
tabs = ui.tabs([f"{name} ({len(df)})" for name, df in parts], this_page)
for (name, df), tab in zip(parts, tabs, strict=True):
    if tab.open:
        with tab:
            if name == "SREs":
                st.caption("Records on one date are one SRE; a record fewer than "
                           f"{ctx.protocol.sre_min_gap_days} days after the previous counted "
                           "SRE is the same SRE (protocol: min_gap_days).")
            if name == "Screening":
                st.caption("Each eligibility criterion, its result at the data cut and the "
                           "screening values it read.")
            ui.table(df, f"participant_{name.lower().replace(' ', '_')}")
            ui.csv_download(df, f"Download {name if name[:3].isupper() else name.lower()} "
                            "(CSV)",
                            f"participant_{pid}_{name.lower().replace(' ', '_')}.csv",
                            key=f"participant_{name}_csv")
