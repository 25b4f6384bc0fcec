"""One contract column from a REDCap field: decoded once per distinct value.

Each column of a table's mapping is a field (dates, numbers, coded choices decoded
through the data dictionary), a checkbox field (its ticked labels), a value taken from
another table's row of the same record, or a value given per event or arm. A value that
cannot be converted is reported on its row and treated as missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rfa_dash.contract import TABLES
from rfa_dash.ingest.problems import Problem, quote
from rfa_dash.ingest.redcap.mapping import (
    FieldSpec,
    RedcapError,
    TableMap,
    event_arm,
    event_matches,
)
from rfa_dash.ingest.redcap.records import SYSTEM, choice_columns
from rfa_dash.ingest.redcap.rows import Done, Rows, blank, closest, mask, spread
from rfa_dash.ingest.redcap.values import Decoder, Result, to_date, to_number

TICKED = {"1", "checked"}
UNTICKED = {"0", "unchecked", ""}
PARTIAL = re.compile(r"\d{4}(-\d{2})?")   # YYYY or YYYY-MM: a partly known date


def convert(rows: Rows, tm: TableMap, spec: FieldSpec, idx: np.ndarray, done: dict[str, Done]
            ) -> tuple[pa.Array, np.ndarray | None]:
    """(values for rows ``idx``, rows to drop or None)."""
    t = tm.name
    if spec.kind == "from_record":
        return _from_record(rows, tm, spec, idx, done)
    if spec.kind in ("from_event", "from_arm"):
        return _from_event(rows, tm, spec, idx), None
    if spec.kind == "checkbox":
        return _checkbox(rows, tm, spec, idx), None
    if spec.source not in rows.rec.header:
        rows.problems.append(Problem(t, None, spec.source, "error",
                                     f"field {spec.source} (for {t}.{spec.column}) is not a "
                                     f"column of {rows.rec.path.name}; left empty; "
                                     + closest(spec.source, list(rows.rec.header))))
        return blank(len(idx)), None
    f = rows.p.field_of(spec.source)
    if f is None and spec.source not in SYSTEM and spec.source != rows.p.record_id:
        rows.problems.append(Problem(t, None, spec.source, "warning",
                                     f"field {spec.source} is not in the data dictionary; "
                                     "read as text"))
    kind = TABLES[t].column(spec.column).kind
    fn: Callable[[str], Result]
    if spec.values is None and kind in ("date", "partial_date"):
        validation = f.validation if f is not None else ""
        partial = kind == "partial_date"

        def fn(v: str) -> Result:
            if partial and PARTIAL.fullmatch(v):   # a month or a year: kept as written
                return v, None
            return to_date(v, validation)
    elif spec.values is None and kind in ("int", "num") and not (f and f.choices):
        if f is None or "comma_decimal" not in f.validation:
            return rows.arrow(spec.source, idx), None   # numbers pass as written

        def fn(v: str) -> Result:
            return to_number(v, f)
    else:
        fn = Decoder(f, spec.values)
    raw = rows.arrow(spec.source, idx)
    if isinstance(fn, Decoder) and not (f and f.choices) and spec.values is None:
        return raw, None   # free text: nothing to decode
    out, bad = spread(raw, fn)
    for j, msg in bad.items():
        rows.problem(t, int(idx[j]), spec.source, "error", msg + "; treated as missing",
                     raw[j].as_py())
    if isinstance(fn, Decoder) and fn.from_label and spec.source not in rows.labelled:
        rows.labelled.append(spec.source)
    return out, None


def _from_record(rows: Rows, tm: TableMap, spec: FieldSpec, idx: np.ndarray,
                 done: dict[str, Done]) -> tuple[pa.Array, np.ndarray]:
    src_t, src_c = spec.source.split(".")
    if src_t not in done or src_c not in done[src_t][1]:
        raise RedcapError(f"mapping {rows.p.mapping.name}: [tables.{tm.name}] column "
                          f"{spec.column} takes {spec.source}, which the mapping does not "
                          "give")
    src_rows, frame = done[src_t]
    given = pc.not_equal(frame[src_c], "")
    src_ids = rows.id_arrow.take(pa.array(src_rows, type=pa.int64())).filter(given)
    src_vals = frame[src_c].filter(given)
    # index_in finds each record's first row that gives the value
    pos = pc.index_in(rows.id_arrow.take(pa.array(idx, type=pa.int64())),
                      value_set=src_ids)
    missing = mask(pos.is_null())
    values = src_vals.take(pos.fill_null(0)) if len(src_vals) else blank(len(idx))
    rows.left_out.update(int(i) for i in idx[missing])
    for j in np.nonzero(missing)[0]:
        rows.problem(tm.name, int(idx[j]), "", "error",
                     f"no {src_t} row gives its {src_c}; row left out",
                     rows.id_arrow[int(idx[j])].as_py())
    return values, missing


def _from_event(rows: Rows, tm: TableMap, spec: FieldSpec, idx: np.ndarray) -> pa.Array:
    if not rows.has_events:
        raise RedcapError(f"mapping {rows.p.mapping.name}: [tables.{tm.name}] column "
                          f"{spec.column} takes the {spec.kind[5:]}, but the project is "
                          "classic (no events)")
    table = spec.values or {}

    def by_event(ev: str) -> Result:
        if spec.kind == "from_arm":
            arm = event_arm(ev)
            if arm is not None and arm in table:
                return table[arm], None
            return "", f"arm {arm} of event {ev} has no value in the mapping"
        for name, value in table.items():
            if event_matches(name, ev):
                return value, None
        return "", f"event {ev} has no {spec.column} in the mapping"

    out, bad = spread(rows.event_arrow.take(pa.array(idx, type=pa.int64())), by_event)
    for j, msg in bad.items():
        rows.problem(tm.name, int(idx[j]), "redcap_event_name", "error",
                     msg + "; treated as missing")
    return out


def _checkbox(rows: Rows, tm: TableMap, spec: FieldSpec, idx: np.ndarray) -> pa.Array:
    f = rows.p.dictionary.get(spec.source)
    if f is None or f.ftype != "checkbox":
        raise RedcapError(f"mapping {rows.p.mapping.name}: [tables.{tm.name}] column "
                          f"{spec.column}: {spec.source} is not a checkbox field of the "
                          "data dictionary")
    boxes = choice_columns(rows.rec, f)
    if not boxes:
        rows.problems.append(Problem(tm.name, None, spec.source, "error",
                                     f"no {spec.source}___code column in "
                                     f"{rows.rec.path.name}; left empty"))
        return blank(len(idx))
    ticks = np.zeros((len(idx), len(boxes)), dtype=bool)
    for k, (col, lab) in enumerate(boxes):
        low = pc.utf8_lower(rows.arrow(col, idx))
        ticks[:, k] = mask(pc.is_in(low, value_set=pa.array([*TICKED, lab.lower()])))
        odd = ~ticks[:, k] & ~mask(pc.is_in(low, value_set=pa.array(sorted(UNTICKED))))
        for j in np.nonzero(odd)[0]:
            value = low[j].as_py()
            rows.problem(tm.name, int(idx[j]), col, "error",
                         f"{quote(value)} is neither 1/0 nor Checked/Unchecked; treated as "
                         "unticked", value)
    # one string per distinct combination of ticks, each combination a bit pattern
    labels = [lab for _, lab in boxes]
    if len(labels) <= 63:
        keys = ticks.astype(np.int64) @ (np.int64(1) << np.arange(len(labels),
                                                                   dtype=np.int64))
        inverse, combos = pd.factorize(keys)
        texts = [";".join(lab for b, lab in enumerate(labels) if int(c) >> b & 1)
                 for c in combos]
    else:
        combo_rows, inverse = np.unique(ticks, axis=0, return_inverse=True)
        texts = [";".join(lab for lab, on in zip(labels, c, strict=True) if on)
                 for c in combo_rows]
    return pa.array(texts, type=pa.string()).take(pa.array(np.ravel(inverse)))
