"""Write result frames as table, CSV or JSON (spec: CLI output rules).

Dates as YYYY-MM-DD, booleans as true/false, missing values empty (CSV and
table) or null (JSON). Frames are pandas DataFrames, Arrow tables (what ``check`` and
the plain queries write) or columns, a dict of equally long lists (what the analysis
commands write): neither of the last two loads pandas.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

Rows = Union["pd.DataFrame", pa.Table, Mapping[str, Sequence[Any]]]


def _missing(v: Any) -> bool:
    """pandas' missing markers, when pandas is loaded (only a frame can hold them)."""
    pd = sys.modules.get("pandas")
    return pd is not None and (v is pd.NA or v is pd.NaT)


def _cell(v):
    if v is None or _missing(v):
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (dt.date, dt.datetime)):   # a pandas Timestamp is a datetime
        return (v.date() if isinstance(v, dt.datetime) else v).isoformat()
    if hasattr(v, "item"):  # numpy scalar
        return _cell(v.item())
    return v


def records(df: Rows) -> list[list]:
    """Rows of ``df`` with cells converted to plain Python values."""
    if isinstance(df, (pa.Table, Mapping)):
        cols = ([c.to_pylist() for c in df.columns] if isinstance(df, pa.Table)
                else list(df.values()))
        return [[_cell(v) for v in row] for row in zip(*cols, strict=True)] if cols else []
    return [[_cell(v) for v in row] for row in df.itertuples(index=False, name=None)]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.10g}" if abs(v) < 1e6 else repr(v)
    return str(v)


def _text_column(col: pd.Series) -> pd.Series:
    """A column as CSV text, vectorized: the same rules as :func:`_text`."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.strftime("%Y-%m-%d").fillna("")
    if pd.api.types.is_bool_dtype(col) and not col.isna().any():
        return col.map({True: "true", False: "false"})
    if pd.api.types.is_integer_dtype(col):
        return col.astype("Int64").astype(str).replace("<NA>", "")
    if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        return col.astype(object).where(col.notna(), "")
    return pd.Series([_text(_cell(v)) for v in col], index=col.index, dtype=object)


def _write_arrow(df: pa.Table, fmt: str, out) -> bool:
    """Write a large Arrow result in Arrow's kernels (:mod:`rfa_dash.cli.arrow_text`);
    False when it is small or holds a type only the cell-by-cell writer knows."""
    from rfa_dash.cli import arrow_text

    if df.num_rows < arrow_text.MIN_ROWS or not arrow_text.supported(df):
        return False
    chunks = arrow_text.WRITERS[fmt](df)
    buf = getattr(out, "buffer", None)
    if buf is not None and str(getattr(out, "encoding", "")).lower().replace("-", "") == "utf8":
        out.flush()
        for c in chunks:
            buf.write(c)
    else:
        out.write("".join(bytes(c).decode("utf-8") for c in chunks))
    return True


def write_rows(df: Rows, fmt: str, out) -> None:
    """Write ``df`` to the stream ``out`` in ``fmt`` (table, csv or json)."""
    if isinstance(df, pa.Table) and _write_arrow(df, fmt, out):
        return
    cols = (list(df.column_names) if isinstance(df, pa.Table)
            else list(df) if isinstance(df, Mapping) else list(df.columns))
    if fmt == "csv" and isinstance(df, (pa.Table, Mapping)):
        w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(cols)
        w.writerows([_text(v) for v in row] for row in records(df))
        return
    if fmt == "csv":
        import pandas as pd

        text = pd.DataFrame({c: _text_column(df[c]) for c in cols}, columns=cols)
        text.to_csv(out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        return
    rows = records(df)
    if fmt == "json":
        json.dump([dict(zip(cols, r, strict=True)) for r in rows], out, indent=1)
        out.write("\n")
    else:
        texts = [[_text(v) for v in r] for r in rows]
        widths = [max([len(c)] + [len(t[i]) for t in texts]) for i, c in enumerate(cols)]
        out.write("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip() + "\n")
        for t in texts:
            out.write("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip()
                      + "\n")
        if not rows:
            out.write("(no rows)\n")
