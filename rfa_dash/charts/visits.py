"""Figures of the visit pages: adherence, the visit grid, retention."""

from __future__ import annotations

import plotly.graph_objects as go

from rfa_dash.charts.style import NEUTRAL, layout, plain

STATUS_COLORS = {  # colour-blind-safe (Okabe-Ito and Tol), distinct from the arm colours
    "completed": "#009E73", "completed_early": "#56B4E9", "completed_late": "#CC79A7",
    "missed": "#D55E00", "overdue": "#882255", "due": "#F0E442", "upcoming": "#DDDDDD",
    "not_expected": "#999999", "unscheduled": "#E5C494",
}

# a mark per status in every cell and legend entry: status is never told by colour alone
# (completed late and not expected were near-identical under deuteranopia)
STATUS_MARKS = {
    "completed": "✓", "completed_early": "E", "completed_late": "L", "missed": "✗",
    "overdue": "!", "due": "D", "upcoming": "·", "not_expected": "–", "unscheduled": "U",
}


def fig_adherence(adh, *, cut: str) -> go.Figure:
    """Adherence and in-window rate per visit month, with n/N on the bars."""
    x = [f"Month {m}" for m in adh["visit_month"]]
    fig = go.Figure()
    for col, name, color, num in (("adherence", "Adherence", "#009E73", "done"),
                                  ("in_window_rate", "In window", "#56B4E9", "completed")):
        text = [f"{n}/{d}" if d else "no visit due yet"
                for n, d in zip(adh[num], adh["expected"], strict=True)]
        # upright labels above narrow grouped bars ran into each other ("13/1613/16")
        fig.add_trace(go.Bar(x=x, y=adh[col].fillna(0) * 100, name=name, marker_color=color,
                             text=text, textposition="outside", textangle=-90,
                             cliponaxis=False,
                             hovertemplate=f"%{{x}} {name.lower()}: %{{y:.0f}}%<extra></extra>"))
    fig.update_yaxes(title_text="Visits (%)", range=[0, 135], tickvals=[0, 20, 40, 60, 80, 100])
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    return layout(fig, "Visit adherence by visit month", cut)


def fig_adherence_over_time(q, *, cut: str) -> go.Figure:
    """Adherence and in-window rate by calendar quarter of window close."""
    fig = go.Figure()
    labels = [f"{d.year} Q{(d.month - 1) // 3 + 1}" for d in q["quarter"]]
    for col, name, color, num in (("adherence", "Adherence", "#009E73", "done"),
                                  ("in_window_rate", "In window", "#56B4E9", "in_window")):
        fig.add_trace(go.Scatter(
            x=labels, y=q[col] * 100, name=name, mode="lines+markers", line_color=color,
            customdata=list(zip(q[num], q["expected"], strict=True)),
            hovertemplate="%{x}: %{y:.0f}% (%{customdata[0]}/%{customdata[1]})<extra></extra>"))
    fig.update_yaxes(title_text="Visits (%)", range=[0, 105])
    fig.update_xaxes(title_text="Quarter in which the window closed")
    # the legend above the plot: below it, it sat on the axis title under slanted ticks
    fig.update_layout(legend=dict(orientation="h", y=1.08, x=1, xanchor="right"))
    return layout(fig, "Adherence over calendar time", cut)


def fig_visit_grid(grid, *, labels: dict[str, str], cut: str) -> go.Figure:
    """Participants (rows) x visit months (columns), each cell coloured by status."""
    grid = grid.assign(participant_id=plain(grid["participant_id"]))
    months = sorted(grid["visit_month"].unique())
    pids = list(dict.fromkeys(grid["participant_id"]))
    codes = {s: i for i, s in enumerate(STATUS_COLORS)}
    wide = grid.pivot(index="participant_id", columns="visit_month", values="status")
    wide = wide.reindex(index=pids, columns=months)
    z = wide.map(lambda s: codes.get(s, 0)).values
    named = wide.map(lambda s: labels.get(s, s)).values
    marks = wide.map(lambda s: STATUS_MARKS.get(s, "")).values
    n = len(codes)
    scale = []
    for i, s in enumerate(STATUS_COLORS):
        scale += [[i / n, STATUS_COLORS[s]], [(i + 1) / n, STATUS_COLORS[s]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"M{m}" for m in months], y=pids, text=marks, customdata=named,
        texttemplate="%{text}", zmin=0, zmax=n, colorscale=scale, showscale=False, xgap=2,
        ygap=2, hovertemplate="Participant %{y}, %{x}: %{customdata}<extra></extra>"))
    for s in STATUS_COLORS:  # legend entries for the discrete colours
        if s in set(grid["status"]):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers",
                                     name=f"{STATUS_MARKS[s]} {labels.get(s, s)}",
                                     marker=dict(size=12, color=STATUS_COLORS[s], symbol="square",
                                                 line=dict(color="#777777", width=1))))
    fig.update_yaxes(autorange="reversed", type="category", title_text="Participant")
    fig.update_xaxes(title_text="Visit (months after treatment)")
    fig.update_layout(legend=dict(orientation="v", x=1.02, y=1))
    return layout(fig, "Visit status by participant", cut, height=max(300, 22 * len(pids) + 140))


def fig_status_by_month(adh, *, labels: dict[str, str], cut: str) -> go.Figure:
    """Stacked count of every status per visit month (the grid, aggregated)."""
    fig = go.Figure()
    x = [f"Month {m}" for m in adh["visit_month"]]
    for s, color in STATUS_COLORS.items():
        fig.add_trace(go.Bar(x=x, y=adh[s], name=f"{STATUS_MARKS[s]} {labels.get(s, s)}",
                             marker_color=color, marker_line=dict(color="#777777", width=0.5),
                             text=[STATUS_MARKS[s] if v else "" for v in adh[s]],
                             textposition="inside", insidetextanchor="middle",
                             hovertemplate=f"%{{x}}: %{{y}} {labels.get(s, s).lower()}"
                                           "<extra></extra>"))
    # each segment carries its status' mark where it fits (never colour alone)
    fig.update_layout(barmode="stack", legend=dict(orientation="v", x=1.02, y=1),
                      uniformtext=dict(minsize=10, mode="hide"))
    fig.update_yaxes(title_text="Participants (n)")
    return layout(fig, "Visit status per visit month", cut)


REASON_COLORS = {"death": "#000000", "withdrawal": "#D55E00", "lost_to_follow_up": "#CC79A7",
                 "study_completed": "#009E73", "off study (any reason)": "#555555"}


def fig_retention(ret, *, cut: str) -> go.Figure:
    """Cumulative participants off study by reason, by month."""
    fig = go.Figure()
    for reason, g in ret.groupby("reason", sort=False):
        fig.add_trace(go.Scatter(
            x=g["month_end"], y=g["cumulative_off_study"], name=reason.replace("_", " "),
            mode="lines", line_shape="hv", line_color=REASON_COLORS.get(reason, NEUTRAL),
            hovertemplate="%{x|%Y-%m-%d}: %{y} off study<extra></extra>"))
    on = ret.drop_duplicates("month_end")
    fig.add_trace(go.Scatter(x=on["month_end"], y=on["on_study"], name="on study",
                             mode="lines", line_shape="hv", line=dict(color="#888888", dash="dot"),
                             hovertemplate="%{x|%Y-%m-%d}: %{y} on study<extra></extra>"))
    fig.update_yaxes(title_text="Participants (n)", rangemode="tozero")
    fig.update_xaxes(title_text="Month end")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return layout(fig, "Retention: participants off study by reason", cut)
