"""Figures of the patients' side: pain over time, opioid use, pain response, and one
participant's course."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rfa_dash.blinding import GROUP
from rfa_dash.charts.style import NEUTRAL, dash, layout, plain

# pain response categories, best first, in Okabe-Ito colours (colour-blind safe)
RESPONSE_COLORS = {"complete": "#009E73", "partial": "#56B4E9", "indeterminate": "#BBBBBB",
                   "progression": "#D55E00"}
# and a fill pattern each: the categories are not told by colour alone
RESPONSE_PATTERNS = {"complete": "", "partial": "/", "indeterminate": ".", "progression": "x"}


def fig_pain_over_time(over, *, colors: dict[str, str], labels: dict[str, str], cut: str,
                       courses=None, highlight: str | None = None) -> go.Figure:
    """Mean worst pain (NRS 0-10) with its 95% interval by visit month (0 = baseline), one
    line per group; with ``courses`` (participant_id, month, pain) each participant's course
    as a thin grey line, ``highlight`` drawn bold."""
    fig = go.Figure()
    if courses is not None and len(courses):
        for pid, part in courses.groupby("participant_id", sort=False):
            strong = pid == highlight
            fig.add_trace(go.Scatter(
                x=part["month"], y=part["pain"], mode="lines+markers",
                line=dict(color="#000000" if strong else "#cccccc", width=3 if strong else 1),
                marker=dict(size=6 if strong else 3), name=plain([pid])[0],
                showlegend=bool(strong), opacity=1 if strong else 0.6,
                hovertemplate=f"{plain([pid])[0]}: month %{{x}}, pain %{{y}}<extra></extra>"))
    for g, part in over.groupby(GROUP, sort=False):
        part = part[part["n"] > 0]
        color = colors.get(g, NEUTRAL)
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["mean_pain"], mode="lines+markers", name=labels.get(g, g),
            line=dict(color=color, width=3, dash=dash(colors, g)), marker=dict(size=8),
            error_y=dict(type="data", symmetric=False,
                         array=(part["upper"] - part["mean_pain"]).fillna(0),
                         arrayminus=(part["mean_pain"] - part["lower"]).fillna(0),
                         color=color, thickness=1.5),
            customdata=part["n"],
            hovertemplate=f"{labels.get(g, g)}<br>month %{{x}}: mean %{{y:.1f}} "
                          "(n %{customdata})<extra></extra>"))
    months = sorted(over["month"].unique())
    fig.update_xaxes(title_text="Months since treatment (0 = baseline)", tickvals=months)
    fig.update_yaxes(title_text="Worst pain at the treated site (NRS 0-10)", range=[0, 10.3])
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return layout(fig, "Pain over time (mean and 95% interval)", cut, height=420)


def fig_omed(over, *, colors: dict[str, str], labels: dict[str, str], cut: str) -> go.Figure:
    """Median daily oral morphine equivalent dose by visit month (0 = baseline), per group,
    among participants with one recorded."""
    fig = go.Figure()
    for g, part in over.groupby(GROUP, sort=False):
        part = part[part["n_omed"] > 0]
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["median_omed"], mode="lines+markers",
            name=labels.get(g, g), line=dict(color=colors.get(g, NEUTRAL), width=3,
                                            dash=dash(colors, g)),
            customdata=list(zip(part["mean_omed"], part["n_omed"], strict=True)),
            hovertemplate=f"{labels.get(g, g)}<br>month %{{x}}: median %{{y:.1f}} mg/day, "
                          "mean %{customdata[0]:.1f} (n %{customdata[1]})<extra></extra>"))
    fig.update_xaxes(title_text="Months since treatment (0 = baseline)",
                     tickvals=sorted(over["month"].unique()))
    fig.update_yaxes(title_text="Opioid use, OMED (mg/day, median)", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return layout(fig, "Opioid use over time", cut, height=420)


def fig_pain_response(response, *, labels: dict[str, str], cut: str) -> go.Figure:
    """Pain response categories per visit month as stacked bars (% of the assessed), one
    panel per group; the number assessed above each bar."""
    from plotly.subplots import make_subplots

    groups = list(dict.fromkeys(response[GROUP]))
    fig = make_subplots(rows=1, cols=max(1, len(groups)), shared_yaxes=True,
                        subplot_titles=[labels.get(g, g) for g in groups])
    for i, g in enumerate(groups, start=1):
        part = response[(response[GROUP] == g) & (response["assessed"] > 0)]
        x = [f"Month {m}" for m in part["month"]]
        for cat, color in RESPONSE_COLORS.items():
            share = part[cat] / part["assessed"] * 100
            fig.add_trace(go.Bar(
                x=x, y=share, name=cat, marker_color=color, legendgroup=cat,
                marker_pattern_shape=RESPONSE_PATTERNS[cat],
                showlegend=i == 1, customdata=part[cat],
                hovertemplate=f"{cat}: %{{y:.0f}}% (%{{customdata}})<extra></extra>"),
                row=1, col=i)
        fig.add_trace(go.Scatter(x=x, y=[103] * len(x), mode="text", showlegend=False,
                                 text=[f"n={n}" for n in part["assessed"]], hoverinfo="skip"),
                      row=1, col=i)
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(title_text="Assessed participants (%)", range=[0, 108], row=1, col=1)
    # the panels' titles (the groups) clear of the n= labels above the bars, and of the
    # figure's title: moved up, with the room for it at the top
    fig.update_annotations(yshift=14, font_size=14)
    layout(fig, "Pain response by visit month (International Consensus)", cut, height=450)
    return fig.update_layout(margin_t=130)


PROFILE_LANES = ("Screening", "Study", "Visits", "SREs", "Adverse events", "Deviations")
PROFILE_MARKERS = {"screening": ("diamond", "#555555"), "consent": ("diamond-open", "#555555"),
                   "randomization": ("star", "#000000"), "treatment": ("triangle-up", "#0072B2"),
                   "visit": ("circle", "#009E73"), "missed": ("x", "#D55E00"),
                   "sre": ("x-thin-open", "#D55E00"), "sre_not_counted": ("x-thin-open", "#999999"),
                   "ae": ("circle-open", "#CC79A7"), "deviation": ("square-open", "#E69F00"),
                   "off_study": ("triangle-right", "#000000"),
                   "death": ("cross", "#000000")}


def fig_profile(timeline, *, cut: str, title: str) -> go.Figure:
    """One participant's course on one time line: ``timeline`` has lane, date, kind, label,
    and for visit windows window_open and window_close (drawn as bars)."""
    fig = go.Figure()
    windows = timeline[timeline["kind"] == "window"]
    for r in windows.itertuples():
        fig.add_trace(go.Scatter(
            x=[r.window_open, r.window_close], y=[r.lane, r.lane], mode="lines",
            line=dict(color="#cfe8dc", width=14), showlegend=False,
            hovertemplate=f"{plain([r.label])[0]}<extra></extra>"))
    points = timeline[timeline["kind"] != "window"]
    for kind, part in points.groupby("kind", sort=False):
        symbol, color = PROFILE_MARKERS.get(str(kind), ("circle", NEUTRAL))
        # a visit's pain score is written beside it (for a role that reads outcomes)
        pain = part["pain"] if "pain" in part else pd.Series([], dtype=float)
        scores = bool(pain.notna().any())
        fig.add_trace(go.Scatter(
            x=part["date"], y=part["lane"], mode="markers+text" if scores else "markers",
            name=str(kind).replace("_", " "),
            marker=dict(symbol=symbol, color=color, size=16 if kind == "death" else 12,
                        line=dict(width=2, color=color)),
            text=plain(part["label"]), hovertemplate="%{x|%Y-%m-%d}: %{text}<extra></extra>",
            **({"texttemplate": [f"pain {int(v)}" if pd.notna(v) else "" for v in pain],
                "textposition": "top center"}
               if scores else {})))
    lanes = [lane for lane in PROFILE_LANES if lane in set(timeline["lane"])]
    fig.update_yaxes(categoryorder="array", categoryarray=lanes[::-1], title_text="")
    fig.update_xaxes(title_text="Date")
    fig.update_layout(legend=dict(orientation="h", y=-0.45))
    return layout(fig, title, cut, height=200 + 45 * len(lanes))
