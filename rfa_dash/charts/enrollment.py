"""Figures of the enrollment pages: funnel, eligibility, accrual, arm balance."""

from __future__ import annotations

import plotly.graph_objects as go

from rfa_dash.charts.style import NEUTRAL, dash, layout, pattern, rgba


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
    return layout(fig, "Enrollment funnel", cut, height=300)


def fig_allocation(by_arm, *, colors: dict[str, str], target: int, cut: str) -> go.Figure:
    """Randomized participants per arm against the count expected from the ratio."""
    total = int(by_arm["n"].sum())
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=by_arm["label"], y=by_arm["n"], marker_color=[colors[a] for a in by_arm["arm"]],
        marker_pattern_shape=[pattern(colors, a) for a in by_arm["arm"]],
        text=by_arm["n"], textposition="auto", name="Randomized",
        hovertemplate="%{x}: %{y} randomized<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=by_arm["label"], y=by_arm["expected_share"] * total, mode="markers",
        marker=dict(symbol="line-ew-open", size=40, color="black", line=dict(width=2)),
        name="Expected from allocation ratio",
        hovertemplate="%{x}: %{y:.1f} expected<extra></extra>"))
    fig.update_yaxes(title_text="Participants (n)", rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return layout(fig, f"Randomized by arm ({total} of {target} target)", cut, height=320)


def fig_criteria(fails, *, cut: str) -> go.Figure:
    """Screened patients failing (and unknown on) each criterion."""
    f = fails[(fails["failed"] > 0) | (fails["unknown"] > 0)].iloc[::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=f["label"], x=f["failed"], orientation="h", name="Failed",
                         marker_color="#D55E00", text=f["failed"], textposition="auto",
                         hovertemplate="%{y}: %{x} failed<extra></extra>"))
    fig.add_trace(go.Bar(y=f["label"], x=f["unknown"], orientation="h", name="Unknown (missing)",
                         marker_color="#BBBBBB",
                         hovertemplate="%{y}: %{x} unknown<extra></extra>"))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title_text="Screened patients (n)",
                     dtick=1 if (f["failed"] + f["unknown"]).max() < 15 else None)
    return layout(fig, "Why patients fail screening (a patient may fail several)", cut,
                   height=max(320, 28 * len(f) + 140))


def fig_sequential(seq, screened: int, incomplete: int = 0, *, cut: str) -> go.Figure:
    """Patients remaining after excluding, step by step, the criterion failing the most;
    then the screenings still incomplete (not yet eligible), so the last bar is the
    eligible count, as in the CONSORT flow."""
    labels = ["Screened"] + list(seq["label"])
    remaining = [screened] + list(seq["remaining"])
    removed = list(seq["removed"])
    if incomplete:
        labels.append("Screening incomplete")
        remaining.append(remaining[-1] - incomplete)
        removed.append(incomplete)
    text = [str(screened)] + [f"{r}  (-{d})" for r, d in zip(remaining[1:], removed,
                                                            strict=True)]
    fig = go.Figure(go.Bar(y=labels, x=remaining, orientation="h", marker_color=NEUTRAL,
                           text=text, textposition="auto",
                           hovertemplate="after %{y}: %{x} remain<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Patients remaining (n)", rangemode="tozero")
    return layout(fig, "Sequential exclusion (each step removes the most of those left)", cut,
                   height=max(320, 28 * len(labels) + 140))


def fig_consort(c: dict, *, colors: dict[str, str], cut: str) -> go.Figure:
    """CONSORT-style flow from screening to allocation, drawn from the data.

    ``c`` holds counts: screened, ineligible (with ``reasons``: list of
    (label, n)), incomplete, eligible, declined, consented, awaiting,
    randomized and optionally ``arms``: list of (code, label, n).
    """
    fig = go.Figure()
    boxes = []

    def box(x, y, text, w=0.34, h=0.09, color="#333333", size=12):
        boxes.append(dict(type="rect", x0=x - w / 2, x1=x + w / 2, y0=y - h / 2, y1=y + h / 2,
                          line=dict(color=color, width=1.5), fillcolor="white", layer="below"))
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=size))

    def arrow(x0, y0, x1, y1):
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowwidth=1.2, arrowcolor="#555555",
                           text="")

    box(0.3, 0.93, f"<b>Screened</b><br>n = {c['screened']}")
    reasons = "<br>".join(f"{lab}: {n}" for lab, n in c["reasons"][:6])
    more = len(c["reasons"]) - 6
    if more > 0:
        reasons += f"<br>… {more} more reasons"
    # the box adds up as CONSORT's do: screened - excluded = eligible
    box(0.76, 0.74, f"<b>Excluded</b> n = {c['ineligible'] + c['incomplete']}"
        f"<br>Not eligible: {c['ineligible']}<br><i>{reasons}</i>"
        f"<br>Screening incomplete: {c['incomplete']}", w=0.48, h=0.36, size=10)
    arrow(0.3, 0.88, 0.3, 0.62)
    arrow(0.3, 0.74, 0.52, 0.74)
    box(0.3, 0.57, f"<b>Eligible</b><br>n = {c['eligible']}")
    box(0.76, 0.45, f"Declined or no consent yet: {c['declined']}", w=0.48, h=0.07, size=11)
    arrow(0.3, 0.52, 0.3, 0.36)
    arrow(0.3, 0.45, 0.52, 0.45)
    box(0.3, 0.31, f"<b>Consented</b><br>n = {c['consented']}")
    box(0.76, 0.2, f"Consented, not yet randomized: {c['awaiting']}", w=0.48, h=0.07, size=11)
    arrow(0.3, 0.26, 0.3, 0.12)
    arrow(0.3, 0.2, 0.52, 0.2)
    box(0.3, 0.07, f"<b>Randomized</b><br>n = {c['randomized']}")
    arms = c.get("arms")
    if arms:
        xs = [0.15 + 0.7 * i / max(1, len(arms) - 1) for i in range(len(arms))]
        at = c.get("arms_as_of")
        when = f"<br>by {at:%Y-%m-%d}" if at is not None and str(at) not in cut else ""
        for x, (code, label, n) in zip(xs, arms, strict=True):
            arrow(0.3, 0.02, x, -0.1)
            box(x, -0.15, f"<b>{label}</b><br>n = {n}{when}", w=0.3,
                color=colors.get(code, NEUTRAL))
    fig.update_layout(shapes=boxes, showlegend=False)
    fig.update_xaxes(visible=False, range=[0, 1.02])
    fig.update_yaxes(visible=False, range=[-0.24 if arms else 0.0, 1.0])
    return layout(fig, "Participant flow (CONSORT)", cut, height=640 if arms else 560)


def fig_accrual(acc, target: int, *, cut: str) -> go.Figure:
    """Cumulative randomizations against the target, planned pace and projection bands."""
    fig = go.Figure()
    cum = acc.cumulative
    if acc.fan is not None:
        f = acc.fan
        for lo, hi, alpha, name in (("q0.025", "q0.975", 0.15, "95% predictive band"),
                                    ("q0.1", "q0.9", 0.3, "80% predictive band")):
            fig.add_trace(go.Scatter(x=f["date"], y=f[hi], mode="lines",
                                     line=dict(width=0, shape="hv"), showlegend=False,
                                     hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=f["date"], y=f[lo], mode="lines",
                                     line=dict(width=0, shape="hv"), fill="tonexty",
                                     fillcolor=rgba("#0072B2", alpha), name=name,
                                     hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=f["date"], y=f["q0.5"], mode="lines", name="Median projection",
                                 line=dict(color="#0072B2", dash="dot", shape="hv")))
    if len(acc.planned):
        fig.add_trace(go.Scatter(x=acc.planned["date"], y=acc.planned["planned"], mode="lines",
                                 name="Planned pace", line=dict(color="#999999", dash="dash")))
    fig.add_trace(go.Scatter(x=cum["date"], y=cum["randomized"], mode="lines+markers",
                             name="Randomized", line=dict(color="#000000", shape="hv", width=2.5),
                             marker=dict(size=5),
                             hovertemplate="%{x|%Y-%m-%d}: %{y} randomized<extra></extra>"))
    fig.add_hline(y=target, line=dict(color="#D55E00", width=1.5),
                  annotation_text=f"Target {target}", annotation_position="top left")
    p = acc.projection
    if p is not None and not p.reached:
        for (d0, d1), lab in ((p.band95, "95%"), (p.band80, "80%")):
            fig.add_trace(go.Scatter(x=[d0, d1], y=[target, target], mode="lines+markers",
                                     line=dict(color="#0072B2", width=6 if lab == "80%" else 2),
                                     name=f"Target reached, {lab} band",
                                     hovertemplate=f"{lab}: %{{x|%Y-%m-%d}}<extra></extra>"))
    fig.update_yaxes(title_text="Participants randomized (n)", rangemode="tozero")
    fig.update_xaxes(title_text="Date")
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    return layout(fig, "Cumulative randomizations", cut, height=460)


def fig_monthly(monthly, *, cut: str) -> go.Figure:
    """Randomizations per calendar month."""
    fig = go.Figure(go.Bar(x=monthly["month"], y=monthly["randomized"], marker_color=NEUTRAL,
                           hovertemplate="%{x|%Y-%m}: %{y} randomized<extra></extra>"))
    fig.update_yaxes(title_text="Participants (n)", rangemode="tozero", dtick=1
                     if monthly["randomized"].max() < 10 else None)
    fig.update_xaxes(title_text="Month", dtick="M1" if len(monthly) <= 24 else None,
                     tickformat="%b %Y")
    return layout(fig, "Randomizations per month", cut)


def fig_allocation_over_time(cum, *, colors: dict[str, str], labels: dict[str, str],
                             cut: str) -> go.Figure:
    """Cumulative participants per arm against the count expected from the ratio."""
    fig = go.Figure()
    for arm, g in cum.groupby("arm", sort=False):
        color = colors.get(arm, NEUTRAL)
        fig.add_trace(go.Scatter(x=g["k"], y=g["cumulative"], mode="lines",
                                 line=dict(color=color, width=2.5, shape="hv",
                                           dash=dash(colors, arm)),
                                 name=labels.get(arm, arm),
                                 hovertemplate="after %{x} randomized: %{y}<extra></extra>"))
        fig.add_trace(go.Scatter(x=g["k"], y=g["expected"], mode="lines",
                                 line=dict(color=color, dash="dot", width=1),
                                 name=f"{labels.get(arm, arm)}, expected",
                                 hovertemplate="expected %{y:.1f}<extra></extra>"))
    fig.update_xaxes(title_text="Participants randomized (n, in order)")
    fig.update_yaxes(title_text="Participants in arm (n)", rangemode="tozero")
    # below the axis title, not on it
    fig.update_layout(legend=dict(orientation="h", y=-0.3, yanchor="top"))
    return layout(fig, "Allocation over time against the protocol ratio", cut)
