"""The large-result writer (rfa_dash.cli.arrow_text) gives byte for byte what the
cell-by-cell writer gives, on every kind of value a plain command returns."""

import datetime as dt
import io

import pyarrow as pa
import pytest

from rfa_dash.cli import arrow_text
from rfa_dash.cli.output import write_rows

TRICKY = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "", None, "é ü 中文",
          "back\\slash", "tab\there", "trailing ", " leading", "ctrl\x01", "emoji 🦴", "[x]",
          "#1", "~"]


def _table(n_rows: int) -> pa.Table:
    k = len(TRICKY)
    return pa.table({
        "text": pa.array([TRICKY[i % k] for i in range(n_rows)], pa.string()),
        "n": pa.array([None if i % 7 == 3 else (i - 5) * 1000 for i in range(n_rows)],
                      pa.int64()),
        "small": pa.array([i % 12 for i in range(n_rows)], pa.int32()),
        "day": pa.array([None if i % 5 == 0 else dt.date(1999 + i % 30, 1 + i % 12, 1 + i % 28)
                         for i in range(n_rows)], pa.date32()),
        "flag": pa.array([None if i % 4 == 0 else i % 3 == 0 for i in range(n_rows)]),
        "nothing": pa.nulls(n_rows),
        "last": pa.array([TRICKY[(i * 5) % k] for i in range(n_rows)], pa.string()),
    })


def _python(table: pa.Table, fmt: str) -> str:
    out = io.StringIO()
    cols = {c: table.column(c).to_pylist() for c in table.column_names}
    write_rows(cols, fmt, out)     # columns: always the cell-by-cell writer
    return out.getvalue()


def _arrow(table: pa.Table, fmt: str) -> str:
    return b"".join(bytes(c) for c in arrow_text.WRITERS[fmt](table)).decode("utf-8")


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
@pytest.mark.parametrize("n_rows", [0, 1, 2, 40])
def test_the_same_bytes_as_the_cell_by_cell_writer(fmt, n_rows):
    table = _table(n_rows)
    assert arrow_text.supported(table)
    assert _arrow(table, fmt) == _python(table, fmt)


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_one_column_and_chunked_columns(fmt):
    one = pa.table({"id": pa.chunked_array([["a", "b,c"], [None, "d"]])})
    assert _arrow(one, fmt) == _python(one, fmt)


def test_write_rows_takes_the_arrow_path_for_large_results(monkeypatch):
    big = _table(arrow_text.MIN_ROWS)
    out = io.StringIO()
    write_rows(big, "csv", out)
    assert out.getvalue() == _python(big, "csv")
    called = []
    monkeypatch.setitem(arrow_text.WRITERS, "csv",
                        lambda t: called.append(t.num_rows) or [b"x"])
    write_rows(big, "csv", io.StringIO())
    write_rows(_table(10), "csv", io.StringIO())      # small: cell by cell
    assert called == [arrow_text.MIN_ROWS]


def test_types_it_does_not_know_are_left_to_the_cell_by_cell_writer():
    assert not arrow_text.supported(pa.table({"x": pa.array([0.5])}))
    assert not arrow_text.supported(pa.table({"x": pa.array([["a"]])}))
