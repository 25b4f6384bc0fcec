"""The report as a PDF: Typst for the pages, Kaleido for the charts as SVG.

Why these two (docs/report.md): both install from PyPI as wheels with their
engine inside (Typst's compiler; Kaleido's headless Chromium), so ``make run``
needs nothing from the system; Typst typesets tables that break across pages
with repeated headers, running headers and footers with "page N of M", and a
table of contents, in well under a second; Kaleido draws the very Plotly
figures the pages show, as vector SVG, so the PDF's charts have the pages'
colours and captions.

Every text from the data enters the Typst source as a string literal (never
as markup), so an ID or term cannot inject Typst code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rfa_dash.frames import with_dates
from rfa_dash.present.labels import heading
from rfa_dash.report.charts_render import Draw, images
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
)

# a table wider than this many columns is printed on a landscape page
LANDSCAPE_COLUMNS = 11


def lit(value: object) -> str:
    """A Typst string literal of ``value`` (shown as text, never read as markup)."""
    text = cell_text(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\r", "\\r").replace("\t", " ") + '"'


def _table(t: Table, as_of) -> str:
    df = with_dates(t.frame)
    if t.transpose:
        df = df.set_index(df.columns[0]).T.reset_index()
        df.columns = [t.transpose, *df.columns[1:]]
    ncol = max(len(df.columns), 1)
    head = ", ".join(f"[*#{lit(heading(c))}*]" for c in df.columns)
    cells = ", ".join(lit(v) for row in df.itertuples(index=False) for v in row)
    size = "8pt" if ncol <= 6 else "7pt" if ncol <= 8 else "6.5pt"
    out = [f"#block(sticky: true, below: 0.4em)[*#{lit(caption(t, as_of))}*]",
           f"#text(size: {size})[#table(columns: {ncol}, stroke: 0.4pt + luma(180), "
           f"inset: 3pt, fill: (x, y) => if y == 0 {{ luma(235) }}, "
           f"table.header({head}){', ' + cells if cells else ''})]"]
    if not len(df):
        out.append("#text(size: 8pt, fill: luma(90))[None.]")
    if t.cut_short:
        out.append(f"#text(size: 8pt, fill: luma(90))[#{lit(t.cut_note)}]")
    if t.note:
        out.append(f"#text(size: 8pt)[#{lit(t.note)}]")
    body = "\n".join(out)
    if len(df.columns) > LANDSCAPE_COLUMNS:
        return f"#page(flipped: true)[\n{body}\n]"
    return body + "\n#v(0.6em)"


def _color(doc: Document) -> str:
    return f'rgb("{doc.mark_color}")'


def _header(doc: Document) -> str:
    return (f"#set page(paper: \"a4\", margin: (x: 1.8cm, top: 2.4cm, bottom: 2.2cm),\n"
            f"  header: context [#set text(size: 8pt)\n"
            f"    #{lit(doc.registry_id)} #h(1fr) #text(weight: \"bold\", fill: {_color(doc)})"
            f"[#{lit(doc.mark)}]\n"
            f"    #v(-0.6em) #line(length: 100%, stroke: 0.4pt)],\n"
            f"  footer: context [#set text(size: 8pt)\n"
            f"    #line(length: 100%, stroke: 0.4pt) #v(-0.6em)\n"
            f"    #{lit(f'Data cut {doc.as_of.isoformat()} · SHA-256 {doc.short_fingerprint}')}"
            f" #h(1fr) page #counter(page).display() of "
            f"#counter(page).final().first()])\n"
            f"#set text(size: 10pt)\n"
            f"#set document(title: {lit(doc.title + ' ' + doc.as_of.isoformat())}, "
            f"author: \"rfa_dash\")\n"
            f"#show heading.where(level: 1): it => block(above: 1.4em, below: 0.8em)"
            f"[#set text(size: 14pt); #it.body]\n"
            f"#show heading.where(level: 2): set text(size: 11pt)\n")


def typst_source(doc: Document, figure_files: list[str]) -> str:
    """The Typst source of ``doc``; ``figure_files`` name each figure's SVG in order."""
    out = [_header(doc)]
    color = _color(doc)
    out.append(f"#align(center)[#v(3em) #text(size: 22pt, weight: \"bold\")[#{lit(doc.title)}]"
               f"\n#v(1em) #box(stroke: 2pt + {color}, inset: 10pt)[#text(size: 16pt, "
               f"weight: \"bold\", fill: {color})[#{lit(doc.mark)}]]]\n#v(2em)")
    if doc.synthetic:
        out.append("#block(fill: rgb(\"#fff4ce\"), inset: 8pt, width: 100%)"
                   f"[*SYNTHETIC DATA*: #{lit(SYNTHETIC_NOTE)}]")
    cells = ", ".join(f"[*#{lit(k)}*], {lit(v)}" for k, v in doc.cover)
    out.append(f"#table(columns: (auto, 1fr), stroke: none, inset: 4pt, {cells})")
    if doc.key_note:
        out.append(f"#text(size: 9pt)[#{lit(doc.key_note)}]")
    out.append("#pagebreak()\n#outline(title: \"Contents\", depth: 1)\n#pagebreak()")
    fig_iter = iter(figure_files)
    for s in doc.sections:
        out.append(f"#heading(level: 1, {lit(f'{s.number}. {s.title}')})")
        for b in s.blocks:
            if isinstance(b, Text):
                out.append(f"#par[#{lit(b.text)}]")
            elif isinstance(b, Heading):
                out.append(f"#heading(level: 2, {lit(b.text)})")
            elif isinstance(b, Table):
                out.append(_table(b, doc.as_of))
            elif isinstance(b, Figure):
                out.append(f"#block(breakable: false)[#image({lit(next(fig_iter))}, "
                           f"width: 100%)\n#text(size: 9pt)[*#{lit(caption(b, doc.as_of))}*]]"
                           "\n#v(0.6em)")
    if doc.key:
        out.append(f"#pagebreak()\n#heading(level: 1, {lit(KEY_TITLE)})")
        out.append(f"#par[#{lit('For the closed session only: which arm each group is.')}]")
        cells = ", ".join(f"{lit(g)}, {lit(a)}" for g, a in doc.key)
        out.append(f"#table(columns: 2, inset: 5pt, [*Group*], [*Arm*], {cells})")
    return "\n".join(out) + "\n"


def notice_pdf(title: str, message: str) -> bytes:
    """A one-page PDF saying ``message`` (a download that could not be built says why)."""
    import typst

    with tempfile.TemporaryDirectory(prefix="rfa_dash_notice_") as tmp:
        source = Path(tmp) / "notice.typ"
        source.write_text(f'#set page(paper: "a4")\n= #{lit(title)}\n\n#{lit(message)}\n',
                          encoding="utf-8")
        return bytes(typst.compile(str(source), root=tmp))


def render_pdf(doc: Document, draw: Draw | None = None) -> bytes:
    """``doc`` as PDF bytes (built in a private temporary folder, removed afterwards);
    ``draw`` from a :func:`figure_renderer` already started, else one of its own."""
    import typst

    figs = [f.fig for f in doc.figures()]
    svgs = draw(figs, "svg") if draw else images(figs)
    with tempfile.TemporaryDirectory(prefix="rfa_dash_report_") as tmp:
        root = Path(tmp)
        names = []
        for i, svg in enumerate(svgs, start=1):
            (root / f"figure{i}.svg").write_bytes(svg)
            names.append(f"figure{i}.svg")
        (root / "report.typ").write_text(typst_source(doc, names), encoding="utf-8")
        return bytes(typst.compile(str(root / "report.typ"), root=str(root)))
