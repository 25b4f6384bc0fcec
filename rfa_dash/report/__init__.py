"""The DSMB report: sections built once (:mod:`.sections`) into a numbered document
(:mod:`.document`), written as HTML (:mod:`.html`) or PDF (:mod:`.pdf`)."""

from rfa_dash.report.build import build_document, build_pdf, build_report, report_file

__all__ = ["build_document", "build_pdf", "build_report", "report_file"]
