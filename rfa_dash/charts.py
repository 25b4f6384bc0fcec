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


def _count(n) -> str:
    """A count short enough for a table row under a chart: 70442 -> 70k."""
    n = int(n)
    return f"{n / 1000:.0f}k" if n >= 10_000 else str(n)


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


STATUS_COLORS = {  # colour-blind-safe (Okabe-Ito and Tol), distinct from the arm colours
    "completed": "#009E73", "completed_early": "#56B4E9", "completed_late": "#CC79A7",
    "missed": "#D55E00", "overdue": "#882255", "due": "#F0E442", "upcoming": "#DDDDDD",
    "not_expected": "#999999", "unscheduled": "#E5C494",
}


def fig_adherence(adh, *, cut: str) -> go.Figure:
    """Adherence and in-window rate per visit month, with n/N on the bars."""
    x = [f"Month {m}" for m in adh["visit_month"]]
    fig = go.Figure()
    for col, name, color, num in (("adherence", "Adherence", "#009E73", "done"),
                                  ("in_window_rate", "In window", "#56B4E9", "completed")):
        text = [f"{n}/{d}" if d else "no visit due yet"
                for n, d in zip(adh[num], adh["expected"], strict=True)]
        fig.add_trace(go.Bar(x=x, y=adh[col].fillna(0) * 100, name=name, marker_color=color,
                             text=text, textposition="outside",
                             hovertemplate=f"%{{x}} {name.lower()}: %{{y:.0f}}%<extra></extra>"))
    fig.update_yaxes(title_text="Visits (%)", range=[0, 110])
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    return _layout(fig, "Visit adherence by visit month", cut)


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
    fig.update_layout(legend=dict(orientation="h", y=-0.3))
    return _layout(fig, "Adherence over calendar time", cut)


def fig_visit_grid(grid, *, labels: dict[str, str], cut: str) -> go.Figure:
    """Participants (rows) x visit months (columns), each cell coloured by status."""
    months = sorted(grid["visit_month"].unique())
    pids = list(dict.fromkeys(grid["participant_id"]))
    codes = {s: i for i, s in enumerate(STATUS_COLORS)}
    wide = grid.pivot(index="participant_id", columns="visit_month", values="status")
    wide = wide.reindex(index=pids, columns=months)
    z = wide.map(lambda s: codes.get(s, 0)).values
    text = wide.map(lambda s: labels.get(s, s)).values
    n = len(codes)
    scale = []
    for i, s in enumerate(STATUS_COLORS):
        scale += [[i / n, STATUS_COLORS[s]], [(i + 1) / n, STATUS_COLORS[s]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"M{m}" for m in months], y=pids, text=text, zmin=0, zmax=n,
        colorscale=scale, showscale=False, xgap=2, ygap=2,
        hovertemplate="Participant %{y}, %{x}: %{text}<extra></extra>"))
    for s in STATUS_COLORS:  # legend entries for the discrete colours
        if s in set(grid["status"]):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=labels.get(s, s),
                                     marker=dict(size=12, color=STATUS_COLORS[s], symbol="square",
                                                 line=dict(color="#777777", width=1))))
    fig.update_yaxes(autorange="reversed", type="category", title_text="Participant")
    fig.update_xaxes(title_text="Visit (months after treatment)")
    fig.update_layout(legend=dict(orientation="v", x=1.02, y=1))
    return _layout(fig, "Visit status by participant", cut, height=max(300, 22 * len(pids) + 140))


def fig_status_by_month(adh, *, labels: dict[str, str], cut: str) -> go.Figure:
    """Stacked count of every status per visit month (the grid, aggregated)."""
    fig = go.Figure()
    x = [f"Month {m}" for m in adh["visit_month"]]
    for s, color in STATUS_COLORS.items():
        fig.add_trace(go.Bar(x=x, y=adh[s], name=labels.get(s, s), marker_color=color,
                             marker_line=dict(color="#777777", width=0.5),
                             hovertemplate=f"%{{x}}: %{{y}} {labels.get(s, s).lower()}"
                                           "<extra></extra>"))
    fig.update_layout(barmode="stack", legend=dict(orientation="v", x=1.02, y=1))
    fig.update_yaxes(title_text="Participants (n)")
    return _layout(fig, "Visit status per visit month", cut)


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
    return _layout(fig, "Retention: participants off study by reason", cut)


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def fig_cif(curves, *, colors: dict[str, str], labels: dict[str, str], at_risk,
            report_months, cut: str, title: str = "Cumulative incidence of SRE") -> go.Figure:
    """Step curves with 95% bands, one per group, and a numbers-at-risk table under the axis.

    ``at_risk`` is the estimates table (group, month, at_risk) whose counts are
    written under the time axis at each report month.
    """
    from plotly.subplots import make_subplots

    groups = list(dict.fromkeys(curves["arm"]))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2],
                        vertical_spacing=0.1)
    xmax = max(max(report_months), float(curves["time"].max() or 0))
    for g in groups:
        c = curves[curves["arm"] == g]
        color = colors.get(g, NEUTRAL)
        name = labels.get(g, g)
        # where the interval is not estimable the band collapses onto the curve
        upper = c["upper"].fillna(c["cif"]) * 100
        lower = c["lower"].fillna(c["cif"]) * 100
        fig.add_trace(go.Scatter(x=c["time"], y=upper, mode="lines",
                                 line=dict(width=0, shape="hv"),
                                 showlegend=False, hoverinfo="skip"), row=1, col=1)
        fig.add_trace(go.Scatter(x=c["time"], y=lower, mode="lines",
                                 line=dict(width=0, shape="hv"),
                                 fill="tonexty", fillcolor=_rgba(color, 0.18),
                                 showlegend=False, hoverinfo="skip"), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=c["time"], y=c["cif"] * 100, name=name, mode="lines",
            line=dict(color=color, width=2.5, shape="hv"),
            customdata=list(zip(lower, upper, c["at_risk"], strict=True)),
            hovertemplate=f"{name}<br>%{{x:.1f}} months: %{{y:.1f}}% "
                          "(95% CI %{customdata[0]:.1f}-%{customdata[1]:.1f}), "
                          "%{customdata[2]} at risk<extra></extra>"), row=1, col=1)
    for i, g in enumerate(groups):
        t = at_risk[at_risk["arm"] == g]
        fig.add_trace(go.Scatter(
            x=[0] + list(t["month"]), y=[i] * (len(t) + 1),
            text=[_count(curves[curves["arm"] == g]["at_risk"].iloc[0])]
            + [_count(v) for v in t["at_risk"]],
            mode="text", textfont=dict(color=colors.get(g, NEUTRAL), size=13), showlegend=False,
            hoverinfo="skip"), row=2, col=1)
    fig.update_yaxes(title_text="Cumulative incidence (%)", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickvals=list(range(len(groups))),
                     ticktext=[labels.get(g, g) for g in groups], autorange="reversed",
                     showgrid=False, title_text="At risk", row=2, col=1)
    fig.update_xaxes(tickvals=[0] + list(report_months), range=[-0.5, xmax + 0.5], row=2, col=1,
                     title_text="Months since randomization")
    fig.update_xaxes(tickvals=[0] + list(report_months), row=1, col=1)
    fig.update_layout(legend=dict(orientation="h", y=1.08, x=1, xanchor="right"))
    return _layout(fig, title, cut, height=520)


def fig_sre_types(counts, *, colors: dict[str, str], labels: dict[str, str], cut: str
                  ) -> go.Figure:
    """SRE counts by type, one bar colour per arm (or neutral when pooled)."""
    fig = go.Figure()
    for g, part in counts.groupby("arm", sort=False):
        fig.add_trace(go.Bar(
            y=[t.replace("_", " ") for t in part["sre_type"]], x=part["events"],
            orientation="h", name=labels.get(g, g), marker_color=colors.get(g, NEUTRAL),
            customdata=part["participants"],
            hovertemplate="%{y}: %{x} events in %{customdata} participants<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    # whole-number ticks only for small counts: a tick per event at 100,000
    # participants is thousands of grid lines, which stalls the browser
    fig.update_xaxes(title_text="Events (n)", rangemode="tozero",
                     dtick=1 if len(counts) and counts["events"].max() < 15 else None)
    return _layout(fig, "SREs by type (all events)", cut)


SWIM_MARKERS = {"visit": ("circle-open", "#555555", "Completed visit"),
                "sre": ("x", "#D55E00", "SRE"), "death": ("square", "#000000", "Death"),
                "off_study": ("triangle-right", "#999999", "Off study (other reason)")}


def fig_swimmer(sw, *, colors: dict[str, str], labels: dict[str, str], cut: str) -> go.Figure:
    """One line per participant from randomization to last contact, events marked."""
    fig = go.Figure()
    order = list(dict.fromkeys(sw["participant_id"]))
    lines = sw.drop_duplicates("participant_id")
    for g, part in lines.groupby("arm", sort=False):
        xs, ys = [], []
        for r in part.itertuples():
            xs += [0, r.last_contact_months, None]
            ys += [r.participant_id, r.participant_id, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=labels.get(g, g),
                                 line=dict(color=colors.get(g, NEUTRAL), width=6),
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
    return _layout(fig, "Follow-up per participant", cut, height=max(360, 18 * len(order) + 160))


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
    return _layout(fig, "Adverse events by worst CTCAE grade", cut)
