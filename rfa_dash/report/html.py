"""The report as one self-contained HTML file (plotly.js inlined, no network needed)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from rfa_dash.frames import with_dates
from rfa_dash.present.labels import heading
from rfa_dash.report.document import (
    KEY_TITLE,
    SYNTHETIC_NOTE,
    Document,
    Figure,
    Heading,
    Table,
    Text,
    caption,
    cell_text,
    figure_json,
)

CSS = """
body{font-family:"Source Sans Pro",Arial,sans-serif;max-width:1100px;margin:2em auto;
color:#222;padding:0 1em}
h1{font-size:2em;margin-bottom:.2em} h2{border-bottom:2px solid #333;margin-top:2em}
table{border-collapse:collapse;margin:.3em 0 1em;font-size:.9em} th,td{border:1px solid #ccc;
padding:3px 8px;text-align:left} th{background:#f3f3f3}
.caption{font-weight:bold;margin:1.2em 0 .2em}
.mark{display:inline-block;font-size:1.6em;font-weight:bold;padding:.2em .8em;
border:4px solid;margin:.5em 0} .closed{color:#b00020;border-color:#b00020}
.open{color:#00539f;border-color:#00539f} .synthetic{background:#fff4ce;padding:.6em;
border:1px solid #e0c060} .cover td{border:none;padding:2px 12px 2px 0} .note{color:#555}
.fingerprint{font-family:monospace;font-size:.85em;word-break:break-all}
.banner{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:.3em 0;
font-size:.85em;display:flex;justify-content:space-between}
"""


def _cell(value) -> str:
    return html.escape(cell_text(value))


def table_html(df: pd.DataFrame) -> str:
    """An HTML table of ``df``, every cell escaped (written directly: the listings of
    a large trial have tens of thousands of rows, and pandas' writer is slow)."""
    shown = with_dates(df)
    head = "".join(f"<th>{html.escape(heading(c))}</th>" for c in shown.columns)
    cols = [[_cell(v) for v in shown[c].tolist()] for c in shown.columns]
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                   for row in zip(*cols, strict=True)) if cols else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fig(fig: go.Figure) -> str:
    return pio.to_html(figure_json(fig), full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True})


def _p(text: str, cls: str = "") -> str:
    return f"<p{f' class={cls!r}' if cls else ''}>{html.escape(text)}</p>"


def render_html(doc: Document) -> str:
    """``doc`` as one HTML document: cover, contents, numbered sections, the key last."""
    e = html.escape
    closed = doc.session != "open"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{e(doc.registry_id)} DSMB report {doc.as_of}</title>"
             f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>",
             f"<div class='banner'><span>{e(doc.registry_id)} · <b>{e(doc.mark)}</b></span>"
             f"<span>data cut {doc.as_of.isoformat()} · SHA-256 {doc.short_fingerprint}"
             "</span></div>",
             f"<section id='cover'><h1>{e(doc.title)}</h1>"
             f"<div class='mark {'closed' if closed else 'open'}'>{e(doc.mark)}</div>"]
    if doc.synthetic:
        parts.append(f"<p class='synthetic'><b>SYNTHETIC DATA</b>: {e(SYNTHETIC_NOTE)}</p>")
    rows = "".join(f"<tr><td>{e(k)}</td><td"
                   f"{' class=fingerprint' if k == 'Export SHA-256' else ''}>{e(v)}</td></tr>"
                   for k, v in doc.cover)
    parts.append(f"<table class='cover'>{rows}</table>")
    if doc.key_note:
        parts.append(_p(doc.key_note, "note"))
    parts.append("</section><nav id='contents'><h2>Contents</h2><ol>" + "".join(
        f"<li><a href='#{s.anchor}'>{e(s.title)}</a></li>" for s in doc.sections)
        + (f"<li><a href='#key'>{e(KEY_TITLE)}</a></li>" if doc.key else "")
        + "</ol></nav>")
    for s in doc.sections:
        parts.append(f"<section id='{s.anchor}'><h2>{s.number}. {e(s.title)}</h2>")
        for b in s.blocks:
            if isinstance(b, Text):
                parts.append(_p(b.text))
            elif isinstance(b, Heading):
                parts.append(f"<h3>{e(b.text)}</h3>")
            elif isinstance(b, Table):
                parts.append(_p(caption(b, doc.as_of), "caption"))
                parts.append(table_html(b.frame))
                if b.cut_short:
                    parts.append(_p(b.cut_note, "note"))
                if b.note:
                    parts.append(_p(b.note, "note"))
            elif isinstance(b, Figure):
                parts.append(_p(caption(b, doc.as_of), "caption"))
                parts.append(_fig(b.fig))
        parts.append("</section>")
    if doc.key:
        parts.append(f"<section id='key'><h2>{e(KEY_TITLE)}</h2>"
                     + table_html(pd.DataFrame(doc.key, columns=["Group", "Arm"]))
                     + "</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
