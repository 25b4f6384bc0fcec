"""The one chart style: layout, neutral colour, fonts, small formatters.

Arms always take the protocol's colour (Okabe-Ito, colour-blind safe); every
figure carries a title, axis units and the data cut (see :func:`layout`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import plotly.graph_objects as go

from rfa_dash.present.labels import NEUTRAL, text_colour

__all__ = ["NEUTRAL", "FONT", "dash", "layout", "pattern", "plain", "rgba", "short_count",
           "text_colour"]

# arms differ by more than colour: each its own line dash and bar pattern, in the
# protocol's order (the colours dict the charts are given is in that order)
DASHES = ("solid", "dash", "dot", "dashdot")
PATTERNS = ("", "/", ".", "x")


def _rank(colors: dict[str, str], group: str) -> int:
    arms = [k for k, v in colors.items() if v != NEUTRAL]
    return arms.index(group) if group in arms else 0


def dash(colors: dict[str, str], group: str) -> str:
    """The line dash of ``group`` (an arm code, or the pooled group: solid)."""
    return DASHES[_rank(colors, group) % len(DASHES)]


def pattern(colors: dict[str, str], group: str) -> str:
    """The bar fill pattern of ``group`` (none for the first arm and the pooled group)."""
    return PATTERNS[_rank(colors, group) % len(PATTERNS)]

FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=13)
# chart text dark enough for WCAG AA (4.5:1) on white: the app's theme drew ticks and axis
# titles in a light grey (3.7:1)
TEXT = "#222222"
TICKS = "#444444"


def layout(fig: go.Figure, title: str, cut: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=dict(text=f"{title}<br><sup>{cut}</sup>", x=0, xanchor="left"),
        height=height, margin=dict(l=10, r=10, t=70, b=40), font=dict(**FONT, color=TEXT),
        plot_bgcolor="white", paper_bgcolor="white",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False,
                     tickfont_color=TICKS, title_font_color=TEXT)
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False,
                     tickfont_color=TICKS, title_font_color=TEXT)
    return fig


def plain(values: Iterable[object]) -> list[str | None]:
    """Data text (IDs, levels, terms) as Plotly shows it literally: its ``<`` and ``>``
    escaped, so a planted ``<a href=...>`` in an ID is text, not a link or markup.
    Missing values stay missing."""
    return [None if v is None or v != v else html.escape(str(v), quote=False) for v in values]


def short_count(n) -> str:
    """A count short enough for a table row under a chart: 70442 -> 70k."""
    n = int(n)
    return f"{n / 1000:.0f}k" if n >= 10_000 else str(n)


def rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
