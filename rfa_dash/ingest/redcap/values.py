"""Turn one REDCap value into contract text, by the field's dictionary entry.

Each function takes one distinct value and returns ``(text, problem)``: the
importer applies it once per distinct value of a column and spreads the
result over the rows, so a million rows of a few hundred codes cost a few
hundred calls.
"""

from __future__ import annotations

import datetime as dt
import re

from rfa_dash.ingest.problems import quote
from rfa_dash.ingest.redcap.project import DictField

ORDERS = {"ymd": "ymd", "mdy": "mdy", "dmy": "dmy"}
NOT_COMPLETED = "[not completed]"   # a survey timestamp of a survey not yet submitted
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
OTHER = re.compile(r"(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")

Result = tuple[str, str | None]


def date_order(validation: str) -> str:
    """The day-month-year order of a REDCap date or datetime validation ("ymd" if none)."""
    for key in ORDERS:
        if validation.endswith(key):
            return key
    return "ymd"


def to_date(value: str, validation: str) -> Result:
    """A REDCap date, datetime or survey timestamp as YYYY-MM-DD (the date part)."""
    v = value.strip()
    if v == NOT_COMPLETED:
        return "", None
    m = ISO.fullmatch(v)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = OTHER.fullmatch(v)
        order = date_order(validation)
        if not m or order == "ymd":
            return "", (f"{quote(value)} is not a date in the field's format "
                        f"({validation or 'date_ymd'})")
        a, b, y = (int(x) for x in m.groups())
        mo, d = (a, b) if order == "mdy" else (b, a)
    try:
        return dt.date(y, mo, d).isoformat(), None
    except ValueError:
        return "", (f"{quote(value)} is not a date in the field's format "
                    f"({validation or 'date_ymd'}): no such day")


def to_number(value: str, f: DictField | None) -> Result:
    """A number as text with a decimal point (``81,2`` of a comma-decimal field is 81.2)."""
    v = value.strip()
    if f is not None and "comma_decimal" in f.validation:
        v = v.replace(",", ".")
    return v, None


class Decoder:
    """Labels or codes of a coded field to its raw code, and codes to contract values."""

    def __init__(self, f: DictField | None, values: dict[str, str] | None):
        self.f = f
        self.values = values
        self.by_label = ({lab.strip().lower(): c for c, lab in f.choices.items()}
                         if f is not None and f.choices else {})
        self.from_label = False   # set once a label had to be read as its code

    def __call__(self, value: str) -> Result:
        code = value.strip()
        f = self.f
        if f is not None and f.choices and code not in f.choices:
            hit = self.by_label.get(code.lower())
            if hit is None:
                return "", (f"{quote(value)} is not one of its codes "
                            f"({', '.join(f.choices)}) or labels")
            code = hit
            self.from_label = True
        if self.values is not None:
            if code not in self.values:
                return "", f"code {quote(code)} has no contract value in the mapping"
            return self.values[code], None
        return code, None
