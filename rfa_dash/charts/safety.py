"""Figures of the safety page."""

from __future__ import annotations

import plotly.graph_objects as go

from rfa_dash.charts.style import NEUTRAL, layout, pattern, plain


def fig_ae_grades(by_grade, *, colors: dict[str, str], labels: dict[str, str], cut: str
                  ) -> go.Figure:
    """Participants by worst adverse-event grade, one bar colour per group."""
    fig = go.Figure()
    for g, part in by_grade.groupby("group", sort=False):
        fig.add_trace(go.Bar(x=[f"Grade {x}" for x in part["grade"]], y=part["participants"],
                             name=labels.get(g, g), marker_color=colors.get(g, NEUTRAL),
                             marker_pattern_shape=pattern(colors, g),
                             customdata=part["events"],
                             hovertemplate="%{x}: %{y} participants, %{customdata} events"
                                           "<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(title_text="Participants (n, by worst grade)", rangemode="tozero")
    return layout(fig, "Adverse events by worst CTCAE grade", cut)


def fig_safety_rule(path, *, color: str, label: str, cut: str) -> go.Figure:
    """The stopping boundary as a step line (the events that stop the trial at each k)
    and, where the frame holds them, the monitored arm's events among the first k, each
    point a participant with its day; the first crossing marked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=path["k"], y=path["stop_at"], mode="lines", line=dict(shape="hv", color="#000000",
                                                                 dash="dash", width=2),
        name="Stop at this many events",
        hovertemplate="k = %{x}: stop at %{y} events<extra></extra>"))
    if "events" in path:
        seen = path[path["events"].notna()]
        fig.add_trace(go.Scatter(
            x=seen["k"], y=seen["events"], mode="lines+markers", name=f"{label}: events",
            line=dict(shape="hv", color=color, width=2), marker=dict(size=7, symbol="circle"),
            customdata=list(zip(plain(seen["participant_id"]),
                                [str(d) for d in seen["date"]], strict=True)),
            hovertemplate="k = %{x}: %{y} events; participant %{customdata[0]}, evaluable "
                          "%{customdata[1]}<extra></extra>"))
        crossed = seen[seen["status"] == "crossed"].head(1)
        if len(crossed):
            fig.add_trace(go.Scatter(
                x=crossed["k"], y=crossed["events"], mode="markers", name="First crossing",
                marker=dict(size=15, symbol="x", color="#D55E00", line=dict(width=1)),
                hovertemplate="crossed at k = %{x}<extra></extra>"))
    fig.update_xaxes(title_text="Evaluable participants (k)", rangemode="tozero")
    fig.update_yaxes(title_text="Events (n)",
                     rangemode="tozero", dtick=1)
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return layout(fig, "Safety stopping rule: events against evaluable participants", cut)


def fig_safety_oc(oc, *, p0: float, p1: float, cut: str) -> go.Figure:
    """The probability of stopping by n_max against the true event rate, p0 and p1
    marked (the operating characteristics)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=oc["p"], y=oc["crossing_probability"], mode="lines+markers", name="Probability",
        line=dict(color="#000000"), marker=dict(symbol="circle", size=7),
        hovertemplate="true rate %{x:.0%}: stops with probability %{y:.1%}<extra></extra>"))
    for p, name in ((p0, "p0 (acceptable)"), (p1, "p1 (unacceptable)")):
        fig.add_vline(x=p, line=dict(color=NEUTRAL, dash="dot"), annotation_text=name,
                      annotation_position="top")
    fig.update_xaxes(title_text="True rate of counted events", tickformat=".0%")
    fig.update_yaxes(title_text="Probability of stopping (%)", tickformat=".0%",
                     range=[0, 1.05])
    fig.update_layout(showlegend=False)
    return layout(fig, "Operating characteristics of the safety rule", cut, height=320)
