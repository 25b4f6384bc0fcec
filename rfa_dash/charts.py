"""Plotly figure builders: ``fig_<thing>(df, ...) -> go.Figure``.

Arms always take the protocol's colour (Okabe-Ito, colour-blind safe); every
figure carries a title, axis units and the data cut.
"""

from __future__ import annotations

import plotly.graph_objects as go

NEUTRAL = "#555555"
FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=13)


def _layout(fig: go.Figure, title: str, cut: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=dict(text=f"{title}<br><sup>{cut}</sup>", x=0, xanchor="left"),
        height=height, margin=dict(l=10, r=10, t=70, b=40), font=FONT,
        plot_bgcolor="white", paper_bgcolor="white",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    return fig


def fig_funnel(funnel, *, cut: str) -> go.Figure:
    """Horizontal bars: screened, eligible, consented, randomized, with conversion."""
    labels = [s.capitalize() for s in funnel["stage"]]
    text = [f"{n}" if conv != conv or conv is None else f"{n}  ({conv:.0%} of previous)"
            for n, conv in zip(funnel["n"], funnel["conversion"], strict=True)]
    fig = go.Figure(go.Bar(x=funnel["n"], y=labels, orientation="h", marker_color=NEUTRAL,
                           text=text, textposition="auto",
                           hovertemplate="%{y}: %{x} patients<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Patients (n)", rangemode="tozero")
    return _layout(fig, "Enrollment funnel", cut, height=300)


def fig_allocation(by_arm, *, colors: dict[str, str], target: int, cut: str) -> go.Figure:
    """Randomized participants per arm against the count expected from the ratio."""
    total = int(by_arm["n"].sum())
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=by_arm["label"], y=by_arm["n"], marker_color=[colors[a] for a in by_arm["arm"]],
        text=by_arm["n"], textposition="auto", name="Randomized",
        hovertemplate="%{x}: %{y} randomized<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=by_arm["label"], y=by_arm["expected_share"] * total, mode="markers",
        marker=dict(symbol="line-ew-open", size=40, color="black", line=dict(width=2)),
        name="Expected from allocation ratio",
        hovertemplate="%{x}: %{y:.1f} expected<extra></extra>"))
    fig.update_yaxes(title_text="Participants (n)", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return _layout(fig, f"Randomized by arm ({total} of {target} target)", cut, height=320)
