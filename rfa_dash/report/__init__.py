"""The DSMB report: one function per section, assembled by :func:`build_report`."""

from rfa_dash.report.build import build_report

__all__ = ["build_report"]
