"""Figures of the safety page."""

from __future__ import annotations

import plotly.graph_objects as go

from rfa_dash.charts.style import NEUTRAL, layout


def fig_ae_grades(by_grade, *, colors: dict[str, str], labels: dict[str, str], cut: str
                  ) -> go.Figure:
    """Participants by worst adverse-event grade, one bar colour per group."""
    fig = go.Figure()
    for g, part in by_grade.groupby("group", sort=False):
        fig.add_trace(go.Bar(x=[f"Grade {x}" for x in part["grade"]], y=part["participants"],
                             name=labels.get(g, g), marker_color=colors.get(g, NEUTRAL),
                             customdata=part["events"],
                             hovertemplate="%{x}: %{y} participants, %{customdata} events"
                                           "<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(title_text="Participants (n, by worst grade)", rangemode="tozero")
    return layout(fig, "Adverse events by worst CTCAE grade", cut)
