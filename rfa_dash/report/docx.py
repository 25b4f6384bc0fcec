"""The report as DOCX, for the statistician's narrative: the same numbered document as the
PDF, editable in Word or LibreOffice.

Headers and footers carry the same marks as the PDF (trial ID, session mark, data cut,
short SHA-256, "page N of M" as Word fields); the contents is a Word field filled in when
the document is opened (or on F9). Charts are PNG at twice the page size (Kaleido), as
Word's SVG support varies between versions.
"""

from __future__ import annotations

import io

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


def _field(paragraph, instruction: str, shown: list[str] | None = None) -> None:
    """A Word field (PAGE, NUMPAGES, TOC) at the end of ``paragraph``; ``shown``: the lines
    shown until the field is updated."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()

    def char(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    char("separate")
    for i, line in enumerate(shown or ["1"]):
        if i:
            run._r.append(OxmlElement("w:br"))
        t = OxmlElement("w:t")
        t.text = line
        run._r.append(t)
    char("end")


def render_docx(doc: Document, draw: Draw | None = None) -> bytes:
    """``doc`` as DOCX bytes; ``draw`` as in :func:`rfa_dash.report.pdf.render_pdf`."""
    from docx import Document as Docx
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    d = Docx()
    d.core_properties.title = f"{doc.title} {doc.as_of.isoformat()}"
    d.core_properties.author = "rfa_dash"
    d.styles["Normal"].font.size = Pt(10)
    sec = d.sections[0]
    sec.left_margin = sec.right_margin = Cm(1.8)
    red = RGBColor.from_string(doc.mark_color.lstrip("#").upper())
    head = sec.header.paragraphs[0]
    head.text = f"{doc.registry_id}\t\t"
    mark = head.add_run(doc.mark)
    mark.bold, mark.font.color.rgb = True, red
    foot = sec.footer.paragraphs[0]
    foot.text = f"Data cut {doc.as_of.isoformat()} · SHA-256 {doc.short_fingerprint}\tpage "
    _field(foot, "PAGE")
    foot.add_run(" of ")
    _field(foot, "NUMPAGES")

    d.add_heading(doc.title, level=0)
    p = d.add_paragraph()
    r = p.add_run(doc.mark)
    r.bold, r.font.size, r.font.color.rgb = True, Pt(16), red
    if doc.synthetic:
        d.add_paragraph(f"SYNTHETIC DATA: {SYNTHETIC_NOTE}")
    t = d.add_table(rows=0, cols=2)
    for k, v in doc.cover:
        cells = t.add_row().cells
        cells[0].text, cells[1].text = k, v
        cells[0].paragraphs[0].runs[0].bold = True
    if doc.key_note:
        d.add_paragraph(doc.key_note)
    d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    d.add_heading("Contents", level=1)
    # the section titles stand in until Word (F9) or LibreOffice fills in the page numbers
    _field(d.add_paragraph(), 'TOC \\o "1-1" \\h \\z \\u',
           [f"{s.number}. {s.title}" for s in doc.sections]
           + ([KEY_TITLE] if doc.key else []))

    figs = [f.fig for f in doc.figures()]
    pictures = iter(draw(figs, "png") if draw else images(figs, fmt="png"))
    for s in doc.sections:
        d.add_heading(f"{s.number}. {s.title}", level=1)
        for b in s.blocks:
            if isinstance(b, Text):
                d.add_paragraph(b.text)
            elif isinstance(b, Heading):
                d.add_heading(b.text, level=2)
            elif isinstance(b, Table):
                d.add_paragraph().add_run(caption(b, doc.as_of)).bold = True
                _table(d, b)
            elif isinstance(b, Figure):
                d.add_picture(io.BytesIO(next(pictures)), width=Cm(17))
                d.add_paragraph().add_run(caption(b, doc.as_of)).bold = True
    if doc.key:
        d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        d.add_heading(KEY_TITLE, level=1)
        t = d.add_table(rows=1, cols=2, style="Table Grid")
        t.rows[0].cells[0].text, t.rows[0].cells[1].text = "Group", "Arm"
        for g, a in doc.key:
            cells = t.add_row().cells
            cells[0].text, cells[1].text = g, a
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _table(d, b: Table) -> None:
    from docx.shared import Pt

    df = with_dates(b.frame)
    t = d.add_table(rows=1, cols=max(len(df.columns), 1), style="Table Grid")
    for cell, c in zip(t.rows[0].cells, df.columns, strict=False):
        cell.text = heading(c)
        cell.paragraphs[0].runs[0].bold = True
    for row in df.itertuples(index=False):
        for cell, v in zip(t.add_row().cells, row, strict=False):
            cell.text = cell_text(v)
    for row in t.rows:
        for cell in row.cells:
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(8)
    if not len(df):
        d.add_paragraph("None.")
    if b.cut_short:
        d.add_paragraph(b.cut_note)
    if b.note:
        d.add_paragraph(b.note)
