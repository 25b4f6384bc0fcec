"""The DSMB report: sections built once (:mod:`.sections`) into a numbered document
(:mod:`.document`), written as HTML (:mod:`.html`), PDF (:mod:`.pdf`) or DOCX (:mod:`.docx`)."""

from rfa_dash.report.build import (
    build_document,
    build_docx,
    build_pdf,
    build_report,
    notice_file,
    report_file,
    session_of,
)
from rfa_dash.report.charts_render import RenderError
from rfa_dash.report.charts_render import warm as warm_renderer

__all__ = ["RenderError", "build_docx", "build_document", "build_pdf", "build_report",
           "notice_file", "report_file", "session_of", "warm_renderer"]
