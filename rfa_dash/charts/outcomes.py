"""Figures of the outcome pages: cumulative incidence, SRE types, swimmer plot."""

from __future__ import annotations

import plotly.graph_objects as go

from rfa_dash.blinding import GROUP
from rfa_dash.charts.style import (
    NEUTRAL,
    dash,
    layout,
    pattern,
    plain,
    rgba,
    short_count,
    text_colour,
)


def fig_cif(curves, *, colors: dict[str, str], labels: dict[str, str], at_risk,
            report_months, cut: str, title: str = "Cumulative incidence of SRE") -> go.Figure:
    """Step curves with 95% bands, one per group, and a numbers-at-risk table under the axis.

    ``at_risk`` is the estimates table (group, month, at_risk) whose counts are
    written under the time axis at each report month.
    """
    return _steps_at_risk(curves, "cif", 100, "%", "Cumulative incidence (%)", colors=colors,
                          labels=labels, at_risk=at_risk, report_months=report_months,
                          cut=cut, title=title)


def fig_mcf(curves, *, colors: dict[str, str], labels: dict[str, str], at_risk,
            report_months, cut: str,
            title: str = "Mean cumulative number of SREs per participant") -> go.Figure:
    """The mean cumulative number of SREs (death terminal) as step curves with 95% bands,
    one per group, and the numbers at risk under the axis (``at_risk``: group, month,
    at_risk)."""
    return _steps_at_risk(curves, "mcf", 1, "", "SREs per participant (mean, n)",
                          colors=colors, labels=labels, at_risk=at_risk,
                          report_months=report_months, cut=cut, title=title)


def _steps_at_risk(curves, value: str, scale: float, unit: str, ytitle: str, *,
                   colors: dict[str, str], labels: dict[str, str], at_risk, report_months,
                   cut: str, title: str) -> go.Figure:
    from plotly.subplots import make_subplots

    dp = 1 if scale == 100 else 2   # decimals: percentages to 0.1, counts to 0.01
    groups = list(dict.fromkeys(curves[GROUP]))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2],
                        vertical_spacing=0.1)
    xmax = max(max(report_months), float(curves["time"].max() or 0))
    for g in groups:
        c = curves[curves[GROUP] == g]
        color = colors.get(g, NEUTRAL)
        name = labels.get(g, g)
        # where the interval is not estimable the band collapses onto the curve
        upper = c["upper"].fillna(c[value]) * scale
        lower = c["lower"].fillna(c[value]) * scale
        fig.add_trace(go.Scatter(x=c["time"], y=upper, mode="lines",
                                 line=dict(width=0, shape="hv"),
                                 showlegend=False, hoverinfo="skip"), row=1, col=1)
        fig.add_trace(go.Scatter(x=c["time"], y=lower, mode="lines",
                                 line=dict(width=0, shape="hv"),
                                 fill="tonexty", fillcolor=rgba(color, 0.18),
                                 showlegend=False, hoverinfo="skip"), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=c["time"], y=c[value] * scale, name=name, mode="lines",
            line=dict(color=color, width=2.5, shape="hv", dash=dash(colors, g)),
            customdata=list(zip(lower, upper, c["at_risk"], strict=True)),
            hovertemplate=f"{name}<br>%{{x:.1f}} months: %{{y:.{dp}f}}{unit} "
                          f"(95% CI %{{customdata[0]:.{dp}f}}-%{{customdata[1]:.{dp}f}}), "
                          "%{customdata[2]} at risk<extra></extra>"), row=1, col=1)
    for i, g in enumerate(groups):
        t = at_risk[at_risk[GROUP] == g]
        fig.add_trace(go.Scatter(
            x=[0] + list(t["month"]), y=[i] * (len(t) + 1),
            text=[short_count(curves[curves[GROUP] == g]["at_risk"].iloc[0])]
            + [short_count(v) for v in t["at_risk"]],
            mode="text", textfont=dict(color=text_colour(colors.get(g, NEUTRAL)), size=13),
            showlegend=False,
            hoverinfo="skip"), row=2, col=1)
    fig.update_yaxes(title_text=ytitle, rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickvals=list(range(len(groups))),   # room above and below the numbers
                     ticktext=[labels.get(g, g) for g in groups],
                     range=[len(groups) - 0.4, -0.6],
                     showgrid=False, title_text="At risk", row=2, col=1)
    fig.update_xaxes(tickvals=[0] + list(report_months), range=[-0.5, xmax + 0.5], row=2, col=1,
                     title_text="Months since randomization")
    fig.update_xaxes(tickvals=[0] + list(report_months), row=1, col=1)
    fig.update_layout(legend=dict(orientation="h", y=1.08, x=1, xanchor="right"))
    return layout(fig, title, cut, height=520)


def fig_sre_types(counts, *, colors: dict[str, str], labels: dict[str, str], cut: str
                  ) -> go.Figure:
    """SRE counts by type, one bar colour per arm (or neutral when pooled)."""
    fig = go.Figure()
    for g, part in counts.groupby(GROUP, sort=False):
        fig.add_trace(go.Bar(
            y=[t.replace("_", " ") for t in part["sre_type"]], x=part["events"],
            orientation="h", name=labels.get(g, g), marker_color=colors.get(g, NEUTRAL),
            marker_pattern_shape=pattern(colors, g), customdata=part["participants"],
            hovertemplate="%{y}: %{x} events in %{customdata} participants<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    # whole-number ticks only for small counts: a tick per event at 100,000
    # participants is thousands of grid lines, which stalls the browser
    fig.update_xaxes(title_text="Events (n)", rangemode="tozero",
                     dtick=1 if len(counts) and counts["events"].max() < 15 else None)
    return layout(fig, "SREs by type (all events)", cut)


SWIM_MARKERS = {"visit": ("circle-open", "#555555", "Completed visit"),
                "sre": ("x", "#882255", "SRE"), "death": ("square", "#000000", "Death"),
                "off_study": ("triangle-right", "#999999", "Off study (other reason)")}


def fig_swimmer(sw, *, colors: dict[str, str], labels: dict[str, str], cut: str) -> go.Figure:
    """One line per participant from randomization to last contact, events marked."""
    fig = go.Figure()
    sw = sw.assign(participant_id=plain(sw["participant_id"]), detail=plain(sw["detail"]))
    order = list(dict.fromkeys(sw["participant_id"]))
    lines = sw.drop_duplicates("participant_id")
    for g, part in lines.groupby(GROUP, sort=False):
        xs, ys = [], []
        for r in part.itertuples():
            xs += [0, r.last_contact_months, None]
            ys += [r.participant_id, r.participant_id, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=labels.get(g, g),
                                 line=dict(color=colors.get(g, NEUTRAL), width=6,
                                           dash=dash(colors, g)),
                                 hoverinfo="skip"))
    for kind, (symbol, color, name) in SWIM_MARKERS.items():
        part = sw[sw["kind"] == kind]
        if len(part):
            fig.add_trace(go.Scatter(
                x=part["months"], y=part["participant_id"], mode="markers", name=name,
                marker=dict(symbol=symbol, color=color, size=10, line=dict(width=2)),
                text=part["detail"],
                hovertemplate="Participant %{y}: %{text} at %{x:.1f} months<extra></extra>"))
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=order,
                     autorange="reversed", title_text="Participant")
    fig.update_xaxes(title_text="Months since randomization", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.12))
    return layout(fig, "Follow-up per participant", cut, height=max(360, 18 * len(order) + 160))
