"""A chart in words and as a table: its text alternative, for people who do not see it.

Every figure a page draws is described from the figure itself (so the words and the
table cannot say something the chart does not): :func:`summary` is one sentence (what
kind of chart, its title, its series and axes), :func:`table` the data drawn, a row per
point (series, x, y and the point's label), a row per cell of a heat map, or the text of
each box of a diagram. The pages show both under each chart (``ui.chart``).

Example
-------
>>> import plotly.graph_objects as go
>>> fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], name="Arm A"))
>>> fig = fig.update_layout(title="Counts<br><sup>cut</sup>", yaxis_title="Participants (n)")
>>> summary(fig.to_dict())
'Bar chart: Counts. One series: Arm A. Vertical axis: Participants (n).'
>>> table(fig.to_dict()).to_dict("list")
{'Series': ['Arm A', 'Arm A'], 'x': ['a', 'b'], 'Participants (n)': [1, 2]}
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

KINDS = {"scatter": "Line or point", "bar": "Bar", "heatmap": "Heat map"}
_TAG = re.compile(r"<[^>]+>")
_MIDNIGHT = re.compile(r"^(\d{4}-\d\d-\d\d)T00:00:00(\.0+)?$")


def _cell(v: Any) -> Any:
    """A value as read: a date drawn at midnight is the date."""
    if isinstance(v, str):
        m = _MIDNIGHT.match(v)
        return m.group(1) if m else v
    return v


def _plain(text: object) -> str:
    """Plotly's text without its markup (``<br>``, ``<b>``) and entities."""
    return html.unescape(_TAG.sub(" ", str(text or ""))).replace("  ", " ").strip()


def _title(obj: Any) -> str:
    """The title text of a layout or axis dict (``{"text": ...}`` or a plain string)."""
    t = obj.get("title") if isinstance(obj, dict) else None
    if isinstance(t, dict):
        t = t.get("text")
    return str(t or "")


def _axis(layout: dict[str, Any], name: str, fallback: str) -> str:
    """The axis' title; for a chart of stacked panels sharing an axis, the first panel's
    axis that has one (``xaxis``, ``xaxis2``, ...)."""
    keys = sorted((k for k in layout if k == name or re.fullmatch(rf"{name}\d+", k)),
                  key=lambda k: int(k[len(name):] or 1))
    for k in keys:
        found = _plain(_title(layout.get(k, {})))
        if found:
            return found
    return fallback


def _values(v: Any) -> list[Any] | None:
    """A trace's array as a list: Plotly's JSON writes NumPy arrays as typed arrays
    (``{"dtype": "f8", "bdata": <base64>, "shape": "2, 3"}``)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if v.get("shape"):
            a = a.reshape([int(n) for n in str(v["shape"]).split(",")])
        return list(a.tolist())
    if isinstance(v, (list, tuple)):
        return list(v)
    return None


def _shown(trace: dict[str, Any]) -> bool:
    """A trace a person reads: named, or not a band drawn only for shading."""
    return bool(trace.get("name")) or trace.get("hoverinfo") != "skip"


def summary(fig: dict[str, Any]) -> str:
    """One sentence saying what the chart shows (``fig``: a figure as its dict)."""
    layout = fig.get("layout", {})
    title = _plain(_title(layout).split("<br>")[0]) or "Untitled chart"
    traces = [t for t in fig.get("data", []) if _shown(t)]
    kinds = {t.get("type", "scatter") for t in traces}
    kind = KINDS.get(kinds.pop(), "Chart") if len(kinds) == 1 else "Chart" if kinds else \
        "Diagram"
    names = list(dict.fromkeys(_plain(t["name"]) for t in traces if t.get("name")))
    parts = [f"{kind} chart: {title}." if kind != "Diagram" else f"Diagram: {title}."]
    if names:
        parts.append(("One series: " if len(names) == 1 else f"{len(names)} series: ")
                     + ", ".join(names) + ".")
    x, y = _axis(layout, "xaxis", ""), _axis(layout, "yaxis", "")
    if x:
        parts.append(f"Horizontal axis: {x}.")
    if y:
        parts.append(f"Vertical axis: {y}.")
    return " ".join(parts)


def table(fig: dict[str, Any]) -> pd.DataFrame:
    """The data the chart draws, a row per point (or heat-map cell, or diagram box)."""
    layout = fig.get("layout", {})
    rows: list[dict[str, Any]] = []
    xname, yname = _axis(layout, "xaxis", "x"), _axis(layout, "yaxis", "y")
    for t in fig.get("data", []):
        if not _shown(t):
            continue
        if t.get("type") == "heatmap":
            labels = (_values(t.get("customdata")) or _values(t.get("text"))
                      or _values(t.get("z")) or [])
            for yv, row in zip(_values(t.get("y")) or [], labels, strict=False):
                for xv, v in zip(_values(t.get("x")) or [], row, strict=False):
                    if v not in (None, ""):
                        rows.append({yname: yv, xname: xv, "Value": _plain(v)})
            continue
        xs, ys = _values(t.get("x")), _values(t.get("y"))
        if xs is None and ys is None:
            continue
        if t.get("orientation") == "h":   # bars across: the category is y
            xs, ys = ys, xs
        n = max(len(xs or []), len(ys or []))
        text = _values(t.get("text"))
        for i in range(n):
            x = (xs or [None] * n)[i]
            y = (ys or [None] * n)[i]
            if x is None and y is None:
                continue
            row = {"Series": _plain(t.get("name")) or "-", xname: _cell(x), yname: _cell(y)}
            if isinstance(text, list) and i < len(text) and text[i] not in (None, ""):
                row["Label"] = _plain(text[i])
            rows.append(row)
    if not rows:   # a diagram drawn with boxes and words (CONSORT, the progression strip)
        rows = [{"Box": _plain(a.get("text"))} for a in layout.get("annotations", [])
                if _plain(a.get("text"))]
    return pd.DataFrame(rows)
