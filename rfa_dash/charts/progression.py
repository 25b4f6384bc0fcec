"""Figures of the progression page: each criterion against its bands, and its course."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from rfa_dash.charts.style import layout, rgba
from rfa_dash.present.progression import STATUS, STATUS_COLORS, label_status

# a different marker for each status, so the chart reads without colour
_SYMBOLS = {"green": "circle", "amber": "diamond", "red": "x", "not_yet": "circle-open"}


def fig_progression(t: pd.DataFrame, *, cut: str) -> go.Figure:
    """Each criterion's value and 95% interval against its red, amber and green bands."""
    rows = t.iloc[::-1].reset_index(drop=True)  # first criterion on top
    top = max([1.2, *[u for u in rows["upper"] if not math.isnan(u)]])
    xmax = min(top, 3.0) * 100
    fig = go.Figure()
    for i, r in rows.iterrows():
        for lo, hi, status in ((0, r["amber"], "red"), (r["amber"], r["green"], "amber"),
                               (r["green"], xmax / 100, "green")):
            fig.add_shape(type="rect", x0=lo * 100, x1=hi * 100, y0=i - 0.4, y1=i + 0.4,
                          fillcolor=rgba(STATUS_COLORS[status], 0.22), line_width=0,
                          layer="below")
    known = rows[rows["status"] != "not_yet"]
    fig.add_trace(go.Scatter(
        x=known["value"] * 100, y=known.index, mode="markers",
        marker=dict(size=13, color="black", symbol=[_SYMBOLS[s] for s in known["status"]],
                    line=dict(width=2, color="black")),
        error_x=dict(type="data", symmetric=False, array=(known["upper"] - known["value"]) * 100,
                     arrayminus=(known["value"] - known["lower"]) * 100, thickness=1.5,
                     color="black", width=6),
        customdata=list(zip(known["label"], [label_status(s) for s in known["status"]],
                            known["lower"] * 100, known["upper"] * 100, strict=True)),
        hovertemplate="%{customdata[0]}: %{x:.0f}% (95% CI %{customdata[2]:.0f}-"
                      "%{customdata[3]:.0f}%), %{customdata[1]}<extra></extra>",
        showlegend=False))
    for i, r in rows.iterrows():  # the status word beside each row, outside the plot
        fig.add_annotation(x=1.0, xref="paper", xanchor="left", xshift=8, y=i, yref="y",
                           text=f"<b>{label_status(r['status'])}</b>", showarrow=False)
    for status in ("green", "amber", "red"):  # legend entries for the bands
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                                 name=f"{STATUS[status][0]} band",
                                 marker=dict(size=12, symbol="square",
                                             color=rgba(STATUS_COLORS[status], 0.5))))
    fig.update_yaxes(tickvals=list(rows.index), ticktext=list(rows["label"]), showgrid=False,
                     range=[-0.6, len(rows) - 0.4])
    fig.update_xaxes(title_text="Value (% of the criterion's denominator), with its 95% interval",
                     range=[0, xmax], ticksuffix="%")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    layout(fig, "Pilot progression criteria", cut, height=160 + 55 * len(rows))
    fig.update_layout(margin=dict(r=90))  # room for the status words
    return fig


def fig_progression_course(course: pd.DataFrame, *, cut: str) -> go.Figure:
    """Each criterion's status and value at every month end: whether amber is getting
    better or worse."""
    fig = go.Figure()
    labels = list(dict.fromkeys(course["label"]))
    for status in ("green", "amber", "red", "not_yet"):
        part = course[course["status"] == status]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["as_of"], y=part["label"], mode="markers", name=STATUS[status][0],
            marker=dict(size=14, symbol=_SYMBOLS[status], color=STATUS_COLORS[status],
                        line=dict(width=1.5, color="#333333")),
            customdata=[f"{v:.0%}" if not math.isnan(v) else "-" for v in part["value"]],
            hovertemplate="%{y}, %{x|%Y-%m-%d}: %{customdata} (" + STATUS[status][0]
                          + ")<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title_text=None)
    fig.update_xaxes(title_text="Data cut (month ends)")
    fig.update_layout(legend=dict(orientation="h", y=-0.3))
    return layout(fig, "Progression criteria over time", cut, height=160 + 45 * len(labels))


def fig_main_trial_sensitivity(df, *, cut: str) -> go.Figure:
    """Participants the main trial needs against the hazard ratio it is to detect, at F's
    estimate and at its lower limit (two lines, two dash patterns)."""
    fig = go.Figure()
    for (name, part), dash in zip(df.groupby("scenario", sort=False), ("solid", "dash"),
                                  strict=False):
        fig.add_trace(go.Scatter(
            x=part["hr"], y=part["participants"], mode="lines+markers", name=name,
            line=dict(color="#000000", dash=dash), marker=dict(size=7),
            hovertemplate="hazard ratio %{x}: %{y:,} participants<extra></extra>"))
    fig.update_xaxes(title_text="Subdistribution hazard ratio to detect")
    fig.update_yaxes(title_text="Participants needed (n)", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return layout(fig, "Main trial: participants needed against the effect", cut)
