"""Read a REDCap records CSV as text columns, whatever header form it has.

The file is read once by pyarrow (every cell as text, nothing converted), so
a records file of 100,000 participants reads in about a second. A header of
field labels (REDCap's "CSV (labels)" export) is turned into field names
through the data dictionary. Each row's physical line in the file is kept,
so that a notes field with line breaks does not shift later line numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from rfa_dash.ingest.problems import Problem, quote
from rfa_dash.ingest.redcap.mapping import RedcapError
from rfa_dash.ingest.redcap.project import DictField, Project

SYSTEM = {"redcap_event_name": "Event Name", "redcap_repeat_instrument": "Repeat Instrument",
          "redcap_repeat_instance": "Repeat Instance",
          "redcap_data_access_group": "Data Access Group",
          "redcap_survey_identifier": "Survey Identifier"}


@dataclass
class Records:
    """The records file as text columns; ``lines[i]`` is the line where row i starts."""

    path: Path
    table: pa.Table
    lines: np.ndarray
    labels_header: bool
    header: list[str]        # every column of the file, the unread ones too

    @property
    def names(self) -> list[str]:
        return list(self.table.column_names)

    def __len__(self) -> int:
        return int(self.table.num_rows)


def _plain(text: str) -> str:
    """A label as REDCap writes it in a labels header: tags dropped, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", text)).strip().lower()


def _candidates(project: Project) -> list[tuple[str, str]]:
    """(raw column, label) in the order REDCap writes the columns of an export."""
    d = project.dictionary
    rid = project.record_id
    out = [(rid, d[rid].label if rid in d else rid)]
    out += [(name, label) for name, label in SYSTEM.items()]
    forms: list[str] = []
    for f in d.values():
        if f.form not in forms:
            forms.append(f.form)
    for form in forms:
        out.append((f"{form}_timestamp", "Survey Timestamp"))
        for f in d.values():
            if f.form != form or f.name == rid or f.ftype == "descriptive":
                continue
            if f.ftype == "checkbox":
                out += [(f"{f.name}___{code.lower()}", f"{f.label} (choice={lab})")
                        for code, lab in f.choices.items()]
            else:
                out.append((f.name, f.label))
        out.append((f"{form}_complete", "Complete?"))
    return out


def raw_names(header: list[str], project: Project) -> list[str]:
    """Field names for a header of field labels, matched in REDCap's column order."""
    cands = _candidates(project)
    names, pos = [], 0
    for i, label in enumerate(header):
        want = _plain(label)
        for j in range(pos, len(cands)):
            if _plain(cands[j][1]) == want:
                names.append(cands[j][0])
                pos = j + 1
                break
        else:
            raise RedcapError(f"{project.records.name}: column {i + 1} of the header, "
                              f"{quote(label)}, is neither a field name nor a field label of the "
                              "data dictionary in its order; export with raw headers "
                              "(\"CSV (raw)\") or with the dictionary of the same project")
    return names


def _header_record(path: Path) -> tuple[list[str], int]:
    """The header row's cells and how many physical lines it spans."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            return [h.strip() for h in header], reader.line_num
    except UnicodeDecodeError as exc:
        raise RedcapError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                          "export it from REDCap again or save it as UTF-8") from exc


def _read(path: Path, names: list[str], skip: int, columns: list[str] | None,
          newlines: bool, bad: list[tuple[int | None, str]]) -> pa.Table:
    def invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, f"{row.actual_columns} values where the header has "
                                f"{row.expected_columns} columns"))
        return "skip"

    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=newlines,
                                             invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, include_columns=columns))
    except (pa.ArrowInvalid, OSError) as exc:
        text = str(exc).splitlines()[0]
        if "UTF8" in text or "utf8" in text.lower():
            text = "it is not UTF-8 text; export it from REDCap again or save it as UTF-8"
        raise RedcapError(f"{path.name}: {text}") from exc


def read_records(project: Project, problems: list[Problem],
                 wanted: Callable[[str], bool] | None = None) -> Records:
    """The records file of ``project`` as text columns (bad rows reported and skipped).

    Only the columns ``wanted`` accepts are kept (all by default). The file is
    first parsed as if no value held a line break, the fast way; a row that
    then comes out the wrong width means one does, and the file is parsed again
    the slow way, which also counts each row's lines.
    """
    path = project.records
    header, header_lines = _header_record(path)
    if project.source is not None and header[0] != project.record_id:
        # read from an ODM file: the header is this package's own, never labels; say it in
        # the XML's terms (the user never had a records CSV)
        raise RedcapError(f"{project.source.name}: the mapping's record ID field "
                          f"{project.record_id} is not this project's; its record ID is "
                          f"{header[0]} (write [redcap] record_id = \"{header[0]}\" in the "
                          "mapping)")
    labels = header[0] != project.record_id
    names = raw_names(header, project) if labels else header
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RedcapError(f"{path.name}: column {dupes[0]} appears more than once in the header")
    keep = [n for n in names if wanted is None or wanted(n)]
    bad: list[tuple[int | None, str]] = []
    table = _read(path, names, header_lines, keep, False, bad)
    newlines = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            newlines += block.count(b"\n")
    n = table.num_rows
    if not bad and newlines - header_lines + 1 in (n, n + 1):
        lines = np.arange(n, dtype=np.int64) + header_lines + 1   # no line break in a value
    else:
        bad.clear()
        full = _read(path, names, header_lines, None, True, bad)
        per_row = np.zeros(full.num_rows, dtype=np.int64)
        for col in full.columns:
            counts = pc.count_substring(col, "\n")
            if pc.max(counts).as_py():
                per_row += counts.to_numpy(zero_copy_only=False)
        # after a row skipped as malformed the count is an estimate (the row is reported)
        lines = header_lines + 1 + np.concatenate(([0], np.cumsum(per_row + 1)[:-1]))
        table = full.select(keep)
    for line, msg in bad:
        problems.append(Problem("redcap", line, "", "error",
                                f"{path.name}: {msg}; row left out"))
    return Records(path, table, lines.astype(np.int64), labels, names)


def choice_columns(records: Records, f: DictField) -> list[tuple[str, str]]:
    """(records column, choice label) of a checkbox field's ``name___code`` columns."""
    have = set(records.names)
    return [(f"{f.name}___{code.lower()}", lab) for code, lab in f.choices.items()
            if f"{f.name}___{code.lower()}" in have]
