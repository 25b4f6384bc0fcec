"""Large Arrow results written as CSV, JSON or a table in Arrow's compute kernels.

:func:`rfa_dash.cli.output.write_rows` writes a few hundred rows cell by cell in Python;
at 100,000 participants the plain commands return half a million rows, and converting
each cell in Python took several times as long as the query. Here each column becomes
its text in one vectorized step (``pyarrow.compute``, which loads no pandas), the
columns are joined into lines, and the lines' bytes are written as one buffer. The
text is byte for byte what the cell-by-cell writer gives
(``tests/unit/test_arrow_text.py`` compares the two on every kind of value); a table
holding a type this module does not know (a float, a list) is left to that writer.

``pyarrow.compute`` costs about 0.15 s to import, so the commands use this only for
results of more than :data:`MIN_ROWS` rows.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pyarrow as pa

MIN_ROWS = 5_000
# JSON strings json.dumps writes as they are: printable ASCII but the quote and backslash
_JSON_PLAIN = r'^[\x20\x21\x23-\x5b\x5d-\x7e]*$'


def supported(table: pa.Table) -> bool:
    """Whether every column is a type written here (text, integer, date, boolean, null)."""
    return all(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
               or pa.types.is_date32(t) or pa.types.is_boolean(t) or pa.types.is_null(t)
               for t in table.schema.types)


def _plain(col: Any) -> Any:
    """A column as the text of :func:`rfa_dash.cli.output._text`; NULL stays NULL."""
    import pyarrow.compute as pc

    if pa.types.is_null(col.type):
        return pa.nulls(len(col), pa.string())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return col
    return pc.cast(col, pa.string())     # integers; dates as YYYY-MM-DD; true / false


def _filled(col: Any, text: str) -> Any:
    """``col`` with NULLs as ``text`` (a column without NULLs as it is: filling copies)."""
    import pyarrow.compute as pc

    return pc.fill_null(col, text) if col.null_count else col


def _buffer(lines: Any) -> memoryview:
    """The bytes of a string array's values, end to end (no NULLs among them), without a
    copy."""
    import numpy as np

    arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    if len(arr) == 0:
        return memoryview(b"")
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    ends = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1]
    return memoryview(arr.buffers()[2])[int(ends[0]):int(ends[-1])]


def _join(cols: list[Any], sep: str, end: str) -> memoryview:
    """Each row's texts joined by ``sep``, ``end`` after each row: the end is added to the
    last column alone, the narrowest copy."""
    import pyarrow.compute as pc

    last = pc.binary_join_element_wise(cols[-1], pa.scalar(""), end)
    lines = pc.binary_join_element_wise(*cols[:-1], last, sep) if len(cols) > 1 else last
    return _buffer(lines)


Chunks = list[bytes | memoryview]


@lru_cache(maxsize=1)
def _csv_special() -> str:
    """The characters that make Python's csv writer (QUOTE_MINIMAL, "\\n" ending lines)
    quote a field, asked of the running Python itself: versions differ on a lone "\\r"."""
    import csv
    import io

    quoted = []
    for c in ',"\r\n':
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow([f"a{c}b", ""])
        if buf.getvalue().startswith('"'):
            quoted.append(c)
    return "[" + "".join({"\r": r"\r", "\n": r"\n"}.get(c, c) for c in quoted) + "]"


def csv_bytes(table: pa.Table) -> Chunks:
    """``table`` as the CSV of ``write_rows(..., "csv")``: a header, then a line a row."""
    import pyarrow.compute as pc

    cols = []
    for col in table.columns:
        s = _filled(_plain(col), "")
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            quoted = pc.binary_join_element_wise(
                pa.scalar('"'), pc.replace_substring(s, '"', '""'), pa.scalar('"'), "")
            s = pc.if_else(pc.match_substring_regex(s, _csv_special()), quoted, s)
        cols.append(s)
    if len(cols) == 1:   # a row of one empty field is written "" (an empty line is no row)
        cols[0] = pc.if_else(pc.equal(cols[0], ""), pa.scalar('""'), cols[0])
    header = ",".join(_csv_field(n) for n in table.column_names) + "\n"
    return [header.encode(), _join(cols, ",", "\n") if table.num_rows else b""]


def _csv_field(text: str) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow([text, ""])
    return buf.getvalue()[:-2]


def json_bytes(table: pa.Table) -> Chunks:
    """``table`` as ``json.dump(rows, indent=1)`` of a list of objects, and a newline."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return [b"[]\n"]
    cols = []
    last = len(table.column_names) - 1
    for i, (name, col) in enumerate(zip(table.column_names, table.columns, strict=True)):
        s = _plain(col)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) \
                or pa.types.is_date32(col.type):
            s = _json_strings(s)
        key = "  " + json.dumps(name) + ": "
        cols.append(pc.binary_join_element_wise(
            pa.scalar(key), _filled(s, "null"), pa.scalar("" if i == last else ","), ""))
    body = _join(cols, "\n", "\n },\n {\n")
    # each row's fields, rows joined by "},\n {": trim the last row's joiner
    tail = b"\n },\n {\n"
    return [b"[\n {\n", body[:-len(tail)], b"\n }\n]\n"]


def _json_strings(s: Any) -> Any:
    """Strings as JSON string literals: plain ones quoted in Arrow, the rest (an escape or a
    character outside printable ASCII) by ``json.dumps`` itself, one by one."""
    import pyarrow.compute as pc

    s = s.combine_chunks() if isinstance(s, pa.ChunkedArray) else s
    plain = pc.match_substring_regex(s, _JSON_PLAIN)
    quoted = pc.binary_join_element_wise(pa.scalar('"'), s, pa.scalar('"'), "")
    other = pc.and_(pc.invert(plain), pc.is_valid(s))
    if pc.any(other).as_py():
        escaped = pa.array([json.dumps(v) for v in pc.filter(s, other).to_pylist()],
                           pa.string())
        quoted = pc.replace_with_mask(quoted, pc.fill_null(other, False), escaped)
    return quoted


def table_bytes(table: pa.Table) -> Chunks:
    """``table`` as the aligned text of ``write_rows(..., "table")``."""
    import pyarrow.compute as pc

    names = table.column_names
    texts = [_filled(_plain(c), "") for c in table.columns]
    widths = [max(len(n), pc.max(pc.utf8_length(t)).as_py() or 0) if len(t) else len(n)
              for n, t in zip(names, texts, strict=True)]
    header = "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip() + "\n"
    if table.num_rows == 0:
        return [(header + "(no rows)\n").encode()]
    padded = [pc.utf8_rpad(t, w, " ") for t, w in zip(texts, widths, strict=True)]
    lines = pc.binary_join_element_wise(*padded, "  ") if len(padded) > 1 else padded[0]
    return [header.encode(), _join([pc.utf8_rtrim_whitespace(lines)], "", "\n")]


WRITERS = {"csv": csv_bytes, "json": json_bytes, "table": table_bytes}
