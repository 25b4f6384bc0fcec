"""Build the DSMB report: the document for a role, then HTML or PDF.

``build_document(exp, as_of, role)`` computes the sections (see
:mod:`rfa_dash.report.sections`) for the report the role gets:

- **open** (a role that sees outcomes pooled, the investigator): every section
  is computed for an open-session view of the role that sees neither
  allocation nor outcomes by arm, so no figure by arm is ever made;
- **closed** (a role that sees outcomes by arm, the DSMB): by arm;
- **masked** (closed, with ``masked=True`` or the protocol's ``[report]
  closed = "masked"``): by arm, the arms named Group A, B, ... in the key's
  order, the key on its own last page (or left out). The finished document is
  searched for every arm code, label and colour; one found is an error.

``build_report`` returns the HTML text, ``build_pdf`` the PDF bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from collections.abc import Callable

from rfa_dash.analysis import cuts
from rfa_dash.blinding import BlindingError, Role, open_session, sees
from rfa_dash.ingest.export import Export
from rfa_dash.present.display import display_frame
from rfa_dash.present.labels import chart_cut, group_colors, group_labels
from rfa_dash.protocol import ProtocolError, report_settings
from rfa_dash.report import sections
from rfa_dash.report.document import Document, Figure, Heading, Section, Table, Text, number
from rfa_dash.report.masking import Masker
from rfa_dash.version import file_hash, stamp

# rows of a listing printed in the PDF; the rest is counted under it
PDF_LISTING_ROWS = 250


def session_of(role: Role, masked: bool | None, protocol) -> str:
    """"open", "closed" or "masked" for ``role``; ``masked`` None: the protocol decides.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes (it has no report).
    ProtocolError
        When a masked report is asked of a role that sees no arm (open report).
    """
    if not sees(role, "outcomes"):
        raise BlindingError(f"the {role.name} role has no DSMB report")
    if not sees(role, "outcomes_by_arm"):
        if masked:
            raise ProtocolError(f"the {role.name} role gets the open (pooled) report: it has "
                                "no arms to mask")
        return "open"
    if masked is None:
        masked = protocol.report.closed == "masked"
    return "masked" if masked else "closed"


def build_document(exp: Export, as_of: dt.date, role: Role, *,
                   generated_at: dt.datetime | None = None, masked: bool | None = None,
                   groups: tuple[str, ...] | None = None, key: str | None = None,
                   since: str | None = None, listing_rows: int | None = None,
                   on_section: Callable[[Section], None] | None = None) -> Document:
    """The report for ``role`` at the data cut, as a numbered :class:`Document`.

    Parameters
    ----------
    masked, groups, key
        Override the protocol's ``[report]`` closed mode, key (arm codes in group
        order) and key placement ("page" or "omit").
    since
        A saved cut's name: the last section lists what changed since it.
    listing_rows
        Rows printed of each listing (None: all).
    on_section
        Called with each section as soon as it is made (the printed forms draw its
        figures while the next sections are computed); not for a masked report, whose
        figures are rewritten once every section is made.

    Raises
    ------
    BlindingError
        For a role that must not see outcomes, or a masked report that would still
        name an arm.
    ProtocolError
        For a masked report without a valid key.
    """
    p = exp.protocol
    session = session_of(role, masked, p)
    settings = report_settings({"closed": p.report.closed, "key": key or p.report.key,
                                "groups": list(groups or p.report.groups)}, tuple(p.arm_codes))
    view = open_session(role) if session == "open" else role
    generated_at = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    masker = Masker(p, settings.groups) if session == "masked" else None
    if masker:   # every section computed for the protocol with the arms as groups
        exp = dataclasses.replace(exp, protocol=masker.protocol(p))
    labels, colors = group_labels(exp.protocol), group_colors(exp.protocol)
    cut = chart_cut(p.registry_id, as_of, exp.synthetic)
    ctx = sections.Ctx(exp, as_of, view, labels, colors, cut, masker is not None, listing_rows,
                       cuts.changes_since(exp, as_of, since, view) if since else None,
                       since or "")
    body = []
    for make in sections.SECTIONS:
        body.append(make(ctx))
        for b in body[-1].blocks:   # every table by the pages' rule (present/display.py):
            if isinstance(b, Table):   # codes as words, "-" for missing, two decimals
                b.frame = display_frame(b.frame)[0]
        if on_section is not None and masker is None:
            on_section(body[-1])
    ratio = ":".join(str(a.ratio) for a in p.arms)
    cover = [("Trial", f"{p.registry_id} ({p.sponsor_id})")]
    if not masker:   # the title names the arms in the protocol's order
        cover.append(("Title", p.short_title))
    cover += [("Report", {"open": "Open session: conduct and pooled outcomes",
                          "closed": "Closed session: outcomes and safety by arm",
                          "masked": "Closed session, masked: outcomes and safety by group"
                          }[session]),
              ("Data cut (as of)", as_of.isoformat()),
              ("Export exported at", str(exp.manifest.get("exported_at", "not stated"))),
              ("Export SHA-256", exp.fingerprint)]
    if exp.manifest.get("cut_of"):   # a saved cut written out: the export it was cut from
        cover.append(("A saved cut of the export", str(exp.manifest["cut_of"])))
    made = stamp(exp.fingerprint, p.source)
    cover += [("Protocol settings", f"target {p.target}; allocation {ratio}; "
                                    f"{_file_digest(p.source)}"),
              ("Made by", made.code_line()),
              ("Generated", f"{generated_at.isoformat()} UTC for the {role.label} role")]
    doc = Document(p.registry_id, f"{p.registry_id}: DSMB report", session, as_of,
                   exp.fingerprint, exp.synthetic, cover, body,
                   key=masker.key if masker and settings.key == "page" else None, made_by=made)
    if masker:
        _mask(doc, masker)
    return number(doc)


def _file_digest(path: str) -> str:
    """"nct07090122.toml, SHA-256 1a2b3c4d5e6f": which settings made the report."""
    from pathlib import Path

    if not Path(path).is_file():
        return Path(path).name
    return f"{Path(path).name}, SHA-256 {file_hash(path)[:12]}"


def _mask(doc: Document, masker: Masker) -> None:
    """Rewrite every block through ``masker``, then refuse a document that still names an
    arm outside its key."""
    doc.cover = [(k, masker.text(v)) for k, v in doc.cover]
    for s in doc.sections:
        for b in s.blocks:
            if isinstance(b, Text | Heading):
                b.text = masker.text(b.text)
            elif isinstance(b, Table):
                b.title, b.n, b.note = masker.text(b.title), masker.text(b.n), masker.text(b.note)
                b.frame = masker.frame(b.frame)
            elif isinstance(b, Figure):
                b.title, b.n = masker.text(b.title), masker.text(b.n)
                b.fig = masker.figure(b.fig)
    found = masker.leaks(document_text(doc))
    if found:
        raise BlindingError("the masked report would still show " + ", ".join(found))


def document_text(doc: Document) -> str:
    """Every word of ``doc`` but its key (cover, titles, texts, cells, figure JSON)."""
    parts = [v for _, v in doc.cover]
    for s in doc.sections:
        parts.append(s.title)
        for b in s.blocks:
            if isinstance(b, Text | Heading):
                parts.append(b.text)
            elif isinstance(b, Table):
                parts += [b.title, b.n, b.note, " ".join(map(str, b.frame.columns)),
                          b.frame.to_csv(index=False)]
            elif isinstance(b, Figure):
                parts += [b.title, b.n, json.dumps(b.fig.to_plotly_json(), default=str)]
    return "\n".join(parts)


def build_report(exp: Export, as_of: dt.date, role: Role,
                 generated_at: dt.datetime | None = None, **options) -> str:
    """The report for ``role`` as one self-contained HTML document (charts embedded,
    nothing loaded from the network). ``options``: see :func:`build_document`."""
    from rfa_dash.report.html import render_html

    return render_html(build_document(exp, as_of, role, generated_at=generated_at, **options))


def _with_charts(render, fmt: str, exp: Export, as_of: dt.date, role: Role,
                 generated_at: dt.datetime | None, options: dict) -> bytes:
    """``render(document, draw)`` for a printed form: listings cut at
    :data:`PDF_LISTING_ROWS`, Chromium started while the sections are computed and each
    section's figures drawn (as ``fmt``) while the next sections are computed."""
    from rfa_dash.report.charts_render import DrawAhead, figure_renderer

    options.setdefault("listing_rows", PDF_LISTING_ROWS)
    with figure_renderer() as draw:
        ahead = DrawAhead(draw, fmt)
        try:
            doc = build_document(exp, as_of, role, generated_at=generated_at,
                                 on_section=lambda s: ahead.submit(
                                     [b.fig for b in s.blocks if isinstance(b, Figure)]),
                                 **options)
            return render(doc, ahead.draw)
        finally:
            ahead.close()


def build_pdf(exp: Export, as_of: dt.date, role: Role,
              generated_at: dt.datetime | None = None, **options) -> bytes:
    """The report for ``role`` as a PDF (Typst, vector charts); listings are cut at
    :data:`PDF_LISTING_ROWS` rows with the full count stated. ``options``: see
    :func:`build_document`."""
    from rfa_dash.report.pdf import render_pdf

    return _with_charts(render_pdf, "svg", exp, as_of, role, generated_at, options)


def build_docx(exp: Export, as_of: dt.date, role: Role,
               generated_at: dt.datetime | None = None, **options) -> bytes:
    """The report for ``role`` as DOCX (the PDF's structure, editable); listings cut as
    in the PDF. ``options``: see :func:`build_document`."""
    from rfa_dash.report.docx import render_docx

    return _with_charts(render_docx, "png", exp, as_of, role, generated_at, options)


FORMATS = ("pdf", "html", "docx")


def notice_file(fmt: str, message: str) -> bytes:
    """A file of format ``fmt`` that says only why the report could not be built (what a
    download gives instead of a report, when the chart renderer failed)."""
    title = "The report could not be built"
    if fmt == "pdf":
        from rfa_dash.report.pdf import notice_pdf

        return notice_pdf(title, message)
    if fmt == "docx":
        import io

        import docx

        d = docx.Document()
        d.add_heading(title, level=1)
        d.add_paragraph(message)
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()
    return (f"<!doctype html><meta charset=utf-8><h1>{title}</h1><p>{html.escape(message)}"
            "</p>").encode()


def report_file(exp: Export, as_of: dt.date, role: Role, fmt: str, masked: bool | None = None,
                since: str | None = None, groups: tuple[str, ...] | None = None,
                key: str | None = None) -> bytes:
    """The report as file bytes, ``fmt`` one of :data:`FORMATS` (positional arguments, for
    the page's bounded cache; the others as in :func:`build_document`)."""
    if fmt == "pdf":
        return build_pdf(exp, as_of, role, masked=masked, since=since, groups=groups, key=key)
    if fmt == "docx":
        return build_docx(exp, as_of, role, masked=masked, since=since, groups=groups, key=key)
    return build_report(exp, as_of, role, masked=masked, since=since, groups=groups,
                        key=key).encode("utf-8")
