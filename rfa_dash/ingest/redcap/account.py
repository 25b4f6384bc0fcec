"""Rows out = rows in for a REDCap (or ODM) import: every records row is placed in a table,
or said not to be, and no value the mapping reads is left behind without an error.

Each row of the records file falls in exactly one class, in this order:

- **placed**: some table took it;
- **left out with an error**: a row whose event is not the project's, or a row whose
  record has no row in the table it takes a value from (its error is listed already);
- **ignored**: a row of an event the mapping lists in ``ignore_events``;
- **not read**: a row of an event the mapping neither reads nor ignores (an info line
  names those events already);
- **lost**: a row no table took, although it holds a value of a field that a table
  reads in that row's event: the mapping's ``repeat_instrument`` or ``required_field``
  passed it by (a repeating event's visits read as ``repeat_instrument = "..."``, an
  adverse event with a grade but no term). This is an **error** naming the table, the
  field, how many rows, the first row's line, record, event and value, and why the
  table passed it by: a figure from part of the data is not given;
- **nothing to read**: a row holding no value of any field the mapping reads.

The counts of the six classes add up to the rows read (:attr:`Imported.account`); when
some row is not placed they are one info line.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rfa_dash.ingest.problems import Problem
from rfa_dash.ingest.redcap.mapping import TableMap
from rfa_dash.ingest.redcap.records import SYSTEM
from rfa_dash.ingest.redcap.rows import Rows, mask

TICKED = ("1", "checked")


def _in_events(rows: Rows, tm: TableMap) -> np.ndarray:
    """Rows of the table's events (every row when it names none)."""
    if tm.events is None or not rows.has_events:
        return np.ones(len(rows.rec), dtype=bool)
    return rows.in_events(tm.events)


def _columns(rows: Rows, source: str, kind: str) -> list[str]:
    """The records columns of a mapped field (a checkbox field: one per choice)."""
    if kind == "checkbox":
        return [c for c in rows.rec.header if c.startswith(source + "___")]
    return [source] if source in rows.rec.header else []


def _filled(rows: Rows, cols: list[str], idx: np.ndarray) -> np.ndarray:
    """Which of rows ``idx`` hold a value in ``cols`` (a checkbox column: ticked)."""
    out = np.zeros(len(idx), dtype=bool)
    for c in cols:
        values = rows.arrow(c, idx)
        if "___" in c:
            out |= mask(pc.is_in(pc.utf8_lower(values), value_set=pa.array(TICKED)))
        else:
            out |= mask(pc.not_equal(values, ""))
    return out


def _why(rows: Rows, tm: TableMap, i: int) -> str:
    rep = rows.repeat_arrow[i].as_py()
    inst = rows.instance_arrow[i].as_py()
    if tm.repeat_instrument is not None and rep != tm.repeat_instrument:
        here = f"repeating instrument {rep!r}" if rep else (
            f"a repeating event's visit #{inst}" if inst else "the event's own row")
        wanted = (f"repeat_instrument = {tm.repeat_instrument!r}" if tm.repeat_instrument
                  else 'repeat_instrument = "" (the event\'s own rows)')
        return f"the row is {here}, the table reads {wanted}"
    if tm.required_field:
        return f"its required_field {tm.required_field} is empty"
    return "no table reads this row"


def account(rows: Rows, tables: dict[str, TableMap], selected: dict[str, np.ndarray],
            placed: np.ndarray) -> dict[str, int]:
    """Check rows out = rows in, add the problems and (when some row is not placed) the
    info line to ``rows``; the counts of each class, which add up to ``read``. The line is
    left out when every row is placed or in an event the mapping ignores.

    ``selected[t]``: the rows table ``t`` selected (before any was left out with an
    error); ``placed``: the rows some table kept.
    """
    n = len(rows.rec)
    is_placed = np.zeros(n, dtype=bool)
    is_placed[placed] = True
    left_out = np.zeros(n, dtype=bool)
    left_out[list(rows.left_out)] = True
    left_out &= ~is_placed
    in_events = {t: _in_events(rows, tm) for t, tm in tables.items()}
    in_read_events = np.zeros(n, dtype=bool)
    for m in in_events.values():
        in_read_events |= m
    skip = set(SYSTEM) | {rows.p.record_id}
    readers: dict[tuple[str, str], list[str]] = {}   # (source, kind) -> tables reading it
    for name, tm in tables.items():
        for spec in tm.fields:
            if spec.kind in ("field", "checkbox") and spec.source not in skip:
                readers.setdefault((spec.source, spec.kind), []).append(name)
        if tm.required_field and tm.required_field not in skip:
            readers.setdefault((tm.required_field, "field"), []).append(name)
    lost = np.zeros(n, dtype=bool)
    for (source, kind), names in readers.items():
        cols = _columns(rows, source, kind)
        if not cols:
            continue   # not a column: its own error is listed
        by_readers = np.zeros(n, dtype=bool)
        for t in names:
            by_readers[selected.get(t, np.array([], dtype=np.int64))] = True
        for t in dict.fromkeys(names):
            tm = tables[t]
            idx = np.nonzero(in_events[t] & ~by_readers & ~left_out)[0]
            if not len(idx):
                continue
            hit = idx[_filled(rows, cols, idx)]
            if not len(hit):
                continue
            lost[hit[~is_placed[hit]]] = True
            i = int(hit[0])
            value = rows.arrow(cols[0], np.array([i])).to_pylist()[0] if kind != "checkbox" \
                else "ticked"
            rows.problems.append(Problem(
                t, int(rows.rec.lines[i]), source, "error",
                f"[tables.{t}] reads {source} in "
                + ("its events" if tm.events is not None else "every row")
                + f", but {len(hit)} row(s) there with a value of it are taken by no table "
                f"that reads it, so their values would be missing: first {rows.where(i)} "
                f"(line {int(rows.rec.lines[i])}): {source} = {value!r}; {_why(rows, tm, i)}. "
                "Fix the mapping's repeat_instrument, required_field or events "
                "(docs/redcap.md)", value))
    rest = ~is_placed & ~left_out & ~lost
    nothing = rest & in_read_events
    ignored = rest & ~in_read_events & _ignored(rows)
    not_read = rest & ~in_read_events & ~ignored
    counts = {"read": n, "placed": int(is_placed.sum()), "left_out": int(left_out.sum()),
              "ignored": int(ignored.sum()), "not_read": int(not_read.sum()),
              "lost": int(lost.sum()), "nothing": int(nothing.sum())}
    if counts["placed"] + counts["ignored"] < n:   # else nothing to say
        rows.info(f"rows out = rows in: {n} row(s) of {rows.rec.path.name} read: "
                  f"{counts['placed']} placed in tables, {counts['ignored']} in events the "
                  f"mapping ignores, {counts['not_read']} in events it does not read, "
                  f"{counts['left_out']} left out with an error above, {counts['lost']} "
                  f"lost (an error above), {counts['nothing']} with no value the mapping reads")
    return counts


def _ignored(rows: Rows) -> np.ndarray:
    """Rows of the events the mapping lists in ``ignore_events``."""
    names = rows.p.mapping.ignore_events
    if not names or not rows.has_events:
        return np.zeros(len(rows.rec), dtype=bool)
    return rows.in_events(names)
