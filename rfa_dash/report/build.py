"""The DSMB report: one self-contained HTML file (charts embedded, no network needed).

``build_report(exp, as_of, role)`` returns the HTML text. The role decides
what is computed: an open report (investigator) pools every outcome and
safety figure; a closed report (dsmb) splits them by arm; a role that must
not see outcomes gets no report at all.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from rfa_dash import charts
from rfa_dash.analysis import accrual as accrual_mod
from rfa_dash.analysis import balance, eligibility, progression, safety, sre, visits
from rfa_dash.analysis.quality import table_summary
from rfa_dash.frames import with_dates
from rfa_dash.ingest.export import Export
from rfa_dash.present import enrollment as present_enrollment
from rfa_dash.present import outcomes
from rfa_dash.present import visits as present_visits
from rfa_dash.present.labels import allocation_note, group_colors, group_labels
from rfa_dash.present.progression import course_table, progression_table, sentence
from rfa_dash.protocol import BlindingError, Role, sees

CSS = """
body{font-family:"Source Sans Pro",Arial,sans-serif;max-width:1100px;margin:2em auto;
color:#222;padding:0 1em}
h1{font-size:2em;margin-bottom:.2em} h2{border-bottom:2px solid #333;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em} th,td{border:1px solid #ccc;
padding:3px 8px;text-align:left} th{background:#f3f3f3}
.mark{display:inline-block;font-size:1.6em;font-weight:bold;padding:.2em .8em;
border:4px solid;margin:.5em 0} .closed{color:#b00020;border-color:#b00020}
.open{color:#00539f;border-color:#00539f} .synthetic{background:#fff4ce;padding:.6em;
border:1px solid #e0c060} .cover td{border:none;padding:2px 12px 2px 0} .note{color:#555}
.fingerprint{font-family:monospace;font-size:.85em;word-break:break-all}
"""


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA \
            or value is pd.NaT:
        return ""
    return html.escape(str(value))


def _table(df: pd.DataFrame, max_rows: int | None = None) -> str:
    """An HTML table of ``df``, every cell escaped (written directly: the listings of
    a large trial have tens of thousands of rows, and pandas' writer is slow)."""
    shown = with_dates(df if max_rows is None else df.head(max_rows))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    cols = [[_cell(v) for v in shown[c].tolist()] for c in shown.columns]
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                   for row in zip(*cols, strict=True)) if cols else ""
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if max_rows is not None and len(df) > max_rows:
        out += f'<p class="note">First {max_rows} of {len(df)} rows.</p>'
    return out


def _fig(fig: go.Figure) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True})


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _progression_section(exp: Export, as_of: dt.date, role: Role, cut: str) -> str:
    """The progression criteria: table, one sentence each, and their course over time."""
    t = progression.progression(exp, as_of, role)
    out = ["<section id='progression'><h2>Pilot progression criteria</h2>",
           _p("Green: proceed; amber: proceed with changes; red: stop or rethink, against the "
              "thresholds pre-specified in the protocol file. The status follows the point "
              "estimate; 95% intervals beside it. Pooled over arms.")]
    if t.empty:
        return "".join(out) + _p("The protocol file uses no progression criterion.") \
            + "</section>"
    out.append(_table(progression_table(t)))
    out.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in
                                 (sentence(r) for _, r in t.iterrows())) + "</ul>")
    out.append(_fig(charts.fig_progression(t, cut=cut)))
    c = progression.course(exp, as_of, role)
    if not c.empty:
        out.append("<h3>Course over time (status at each month end)</h3>")
        out.append(_fig(charts.fig_progression_course(c, cut=cut)))
        out.append(_table(course_table(c)))
    out.append("</section>")
    return "".join(out)


def build_report(exp: Export, as_of: dt.date, role: Role,
                 generated_at: dt.datetime | None = None) -> str:
    """The report for ``role`` at the data cut, as one HTML document.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes.
    """
    if not sees(role, "outcomes"):
        raise BlindingError(f"the {role.name} role has no DSMB report")
    p = exp.protocol
    closed = sees(role, "outcomes_by_arm")
    cut = f"{p.registry_id} · data cut {as_of.isoformat()}" + (
        " · synthetic data" if exp.synthetic else "")
    generated_at = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    labels, colors = group_labels(p), group_colors(p)
    mark = ("CLOSED REPORT: outcomes by arm. For the DSMB only."
            if closed else "OPEN REPORT: outcomes pooled over arms.")
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(p.registry_id)} DSMB report {as_of}</title>"
             f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>"]
    # cover
    parts.append(f"<section id='cover'><h1>{html.escape(p.registry_id)}: DSMB report</h1>"
                 f"<p>{html.escape(p.short_title)}</p>"
                 f"<div class='mark {'closed' if closed else 'open'}'>{mark}</div>")
    if exp.synthetic:
        parts.append("<p class='synthetic'><b>SYNTHETIC DATA</b>: generated by rfa_dash synth; "
                     "no real patient.</p>")
    parts.append("<table class='cover'>"
                 f"<tr><td>Data cut (as of)</td><td>{as_of.isoformat()}</td></tr>"
                 f"<tr><td>Export exported at</td><td>"
                 f"{html.escape(str(exp.manifest.get('exported_at', 'not stated')))}</td></tr>"
                 f"<tr><td>Export SHA-256</td><td class='fingerprint'>{exp.fingerprint}</td></tr>"
                 f"<tr><td>Protocol</td><td>{html.escape(p.sponsor_id)}; target {p.target}; "
                 f"allocation {':'.join(str(a.ratio) for a in p.arms)}</td></tr>"
                 f"<tr><td>Generated</td><td>{generated_at.isoformat()} UTC, role "
                 f"{html.escape(role.label)}</td></tr></table></section>")
    # enrollment and accrual
    funnel = exp.query("enrollment_funnel", as_of=as_of)
    acc = accrual_mod.accrual(exp, as_of)
    parts.append("<section id='enrollment'><h2>Enrollment and accrual</h2>")
    parts.append(_table(funnel.assign(conversion=funnel["conversion"].map(
        lambda x: "" if x != x else f"{x:.0%}"))[["stage", "n", "conversion"]]))
    parts.append(_fig(charts.fig_consort(
        eligibility.consort(exp, as_of, role), colors=p.arm_colors, cut=cut)))
    parts.append(_fig(charts.fig_accrual(acc, p.target, cut=cut)))
    pr = acc.projection
    if pr is not None and pr.band80 is not None and pr.band95 is not None:  # not reached
        parts.append(_p(f"Projected to reach {p.target}: median {pr.median}, 80% band "
                        f"{pr.band80[0]} to {pr.band80[1]}, 95% band {pr.band95[0]} to "
                        f"{pr.band95[1]} (Poisson-gamma model, prior certainty "
                        f"{pr.prior_certainty:g})."))
    parts.append(_table(present_enrollment.rates_display(acc.rates)))
    parts.append(_table(eligibility.criterion_counts(exp, as_of)))
    parts.append("</section>")
    # balance
    if sees(role, "allocation"):
        al = balance.allocation(exp, as_of, role)
        parts.append("<section id='balance'><h2>Arm balance</h2>")
        if al.as_of != as_of:
            parts.append(_p(allocation_note(al.as_of)))
        parts.append(_table(al.counts[["label", "n", "expected_share", "observed_share"]]))
        if al.p_value is not None:
            parts.append(_p(f"Exact binomial test against the allocation ratio: "
                            f"p = {al.p_value:.3f}."))
        parts.append(_table(balance.baseline_table(exp, as_of, role)))
        parts.append(_table(balance.received_as_allocated(exp, as_of, role)))
        parts.append("</section>")
    # adherence
    adh = visits.adherence(exp, as_of)
    parts.append("<section id='adherence'><h2>Visit adherence</h2>")
    parts.append(_table(present_visits.adherence_table(adh)))
    parts.append(_fig(charts.fig_adherence(adh, cut=cut)))
    parts.append("</section>")
    # pilot progression criteria (pooled: nothing here is by arm)
    parts.append(_progression_section(exp, as_of, role, cut))
    # SRE
    res = sre.sre_analysis(exp, as_of, role)
    parts.append("<section id='sre'><h2>Skeletal-related events"
                 f"{' by arm' if closed else ' (pooled)'}</h2>")
    if p.comparison_note:
        parts.append(_p(p.comparison_note))
    parts.append(_fig(charts.fig_cif(res.curves, colors=colors, labels=labels,
                                     at_risk=res.table, report_months=p.report_months,
                                     cut=cut)))
    parts.append(_table(outcomes.estimates_display(res.table, labels)))
    if closed:
        parts.append(_p(res.gray_note))
    parts.append(_table(outcomes.components_display(sre.components(exp, as_of, role), labels)))
    parts.append(_table(sre.event_listing(exp, as_of, role)))
    parts.append("</section>")
    # safety
    s = safety.safety(exp, as_of, role)
    parts.append("<section id='safety'><h2>Safety</h2>")
    parts.append(_table(outcomes.grade_table(s, labels)))
    parts.append("<h3>Treatment-emergent events by system organ class and term</h3>"
                 + _table(outcomes.soc_table(s, labels)))
    parts.append(_table(outcomes.flags_display(s.seriousness, labels)))
    parts.append(_table(outcomes.flags_display(s.relatedness, labels)))
    parts.append(f"<h3>Deaths ({len(s.deaths)})</h3>" + _table(s.deaths))
    parts.append("<h3>Grade 3 or higher events</h3>" + _table(s.grade3))
    parts.append(f"<h3>Adverse events before treatment ({len(s.pretreatment)}), not "
                 "treatment-emergent</h3>" + _table(s.pretreatment))
    parts.append("</section>")
    # data quality
    parts.append("<section id='data-quality'><h2>Data quality</h2>")
    parts.append(_table(table_summary(exp, role)))
    parts.append(_p(f"{exp.n_errors} error(s) and {exp.n_warnings} warning(s); rows with errors "
                    "were left out of every figure."))
    parts.append(_table(exp.problems[["table", "line", "column", "severity", "message"]],
                        max_rows=200))
    parts.append("</section></body></html>")
    return "\n".join(parts)
