"""The DSMB report as a document: numbered sections of text, tables and figures.

The content is built once (:mod:`rfa_dash.report.sections`) and written out by
a renderer (:mod:`rfa_dash.report.html`, :mod:`rfa_dash.report.pdf`), so the
HTML and the PDF carry the same numbers, titles and captions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

# the three kinds of report (docs/report.md)
SESSIONS = ("open", "closed", "masked")
SESSION_MARKS = {"open": "OPEN SESSION",
                 "closed": "CLOSED SESSION — CONFIDENTIAL",
                 "masked": "CLOSED SESSION — CONFIDENTIAL"}


@dataclass
class Text:
    """A paragraph (plain text; renderers escape it)."""

    text: str


@dataclass
class Heading:
    """A subheading inside a section (not numbered)."""

    text: str


@dataclass
class Table:
    """A numbered table. ``n`` states the denominator ("n = 30 randomized"); ``max_rows``
    truncates a long listing, with the full count stated under it."""

    title: str
    frame: pd.DataFrame
    n: str
    note: str = ""
    max_rows: int | None = None
    number: int = 0
    # printed on its side in the PDF (a grid of a few rows and many columns, as months),
    # its first column then headed ``transpose``
    transpose: str = ""
    # rows before the cut at ``max_rows`` (only the printed rows are kept: a listing of
    # 50,000 rows need not stay in memory for the rest of the build)
    total: int = -1

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = len(self.frame)
        if self.max_rows is not None and len(self.frame) > self.max_rows:
            self.frame = self.frame.head(self.max_rows)

    @property
    def cut_short(self) -> bool:
        """True when only the first ``max_rows`` of ``total`` rows are printed."""
        return self.total > len(self.frame)


@dataclass
class Figure:
    """A numbered figure (a Plotly figure whose own caption carries the data cut)."""

    title: str
    fig: go.Figure
    n: str
    number: int = 0


Block = Text | Heading | Table | Figure


@dataclass
class Section:
    """A numbered section; ``anchor`` is its id in the HTML."""

    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)
    number: int = 0


@dataclass
class Document:
    """The whole report.

    Attributes
    ----------
    session : str
        "open" (pooled), "closed" (by arm) or "masked" (by arm as Group A, B, ...).
    key : list of (group, arm label) or None
        The masked report's key, printed on its own last page; None when the
        report is not masked or the key is left out.
    """

    registry_id: str
    title: str
    session: str
    as_of: dt.date
    fingerprint: str
    exported_at: str
    generated_at: dt.datetime
    role_label: str
    synthetic: bool
    cover: list[tuple[str, str]]
    sections: list[Section]
    key: list[tuple[str, str]] | None = None

    @property
    def mark(self) -> str:
        """The session mark every page carries."""
        return SESSION_MARKS[self.session]

    @property
    def short_fingerprint(self) -> str:
        return self.fingerprint[:12]

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def number(doc: Document) -> Document:
    """Number sections, tables and figures consecutively in reading order (in place)."""
    t = f = 0
    for i, s in enumerate(doc.sections, start=1):
        s.number = i
        for b in s.blocks:
            if isinstance(b, Table):
                t += 1
                b.number = t
            elif isinstance(b, Figure):
                f += 1
                b.number = f
    return doc


def cell_text(value: object) -> str:
    """A cell as printed: missing is empty, true/false are yes/no."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float)
                                                               and value != value):
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    return str(value)


def caption(block: Table | Figure, as_of: dt.date) -> str:
    """"Table 3. Title (data cut 2026-11-16; n = 30 randomized)"."""
    kind = "Table" if isinstance(block, Table) else "Figure"
    return f"{kind} {block.number}. {block.title} (data cut {as_of.isoformat()}; {block.n})"
