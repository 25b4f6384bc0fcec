"""Import a REDCap project export (records CSV, data dictionary, optional events) into
contract tables.

The records file is read once as text columns (:mod:`.records`); each contract
table takes the rows its mapping names (events, repeating instrument, a
required field) and converts each column once per distinct value
(:mod:`.values`), so the cost follows the number of distinct codes and dates
rather than the number of cells. Every problem names the physical line of the
records file where that record's row starts, the record, the event and the
field. Rows that cannot be mapped are left out and reported; what the mapping
does not use (fields, instruments, events) is summarized in one line per
kind. The REDCap files are never modified.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.ingest.problems import Problem, quote
from rfa_dash.ingest.redcap.mapping import (
    DEFAULT_MAPPING,
    FieldSpec,
    RedcapError,
    TableMap,
    event_arm,
    event_matches,
)
from rfa_dash.ingest.redcap.project import (
    LOOKED_FOR,
    Project,
    fingerprint,
    is_redcap_folder,
    open_project,
)
from rfa_dash.ingest.redcap.records import SYSTEM, choice_columns, read_records
from rfa_dash.ingest.redcap.values import Decoder, Result, to_date, to_number

__all__ = ["DEFAULT_MAPPING", "Imported", "RedcapError", "fingerprint", "import_folder",
           "is_redcap_folder", "remap_lines", "write_contract"]

TICKED = {"1", "checked"}
UNTICKED = {"0", "unchecked", ""}
FEW = 5   # names shown in a summary line
PARTIAL = re.compile(r"\d{4}(-\d{2})?")   # YYYY or YYYY-MM: a partly known date
Done = tuple[np.ndarray, dict[str, pa.Array]]   # a converted table: source rows, columns


@dataclass
class Imported:
    """Contract tables converted from a REDCap folder.

    ``tables[t]`` holds the table's columns as Arrow text arrays; ``lines[t][i]`` is the
    records-file line where row i came from.
    """

    tables: dict[str, dict[str, pa.Array]]
    lines: dict[str, list[int]]
    problems: list[Problem]
    manifest: dict[str, Any]
    project: Project | None = field(default=None, repr=False)
    # one row per converted row: table, row (its position), line, where ("record X, event Y")
    locations: pa.Table | None = field(default=None, repr=False)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> REDCap field


def _mask(values: pa.Array) -> np.ndarray:
    """An Arrow boolean array as a numpy mask."""
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _blank(n: int) -> pa.Array:
    return pa.repeat(pa.scalar("", pa.string()), n)


def _few(names: list[str]) -> str:
    shown = ", ".join(names[:FEW])
    return shown + (f" and {len(names) - FEW} more" if len(names) > FEW else "")


def _spread(values: pa.Array, fn: Callable[[str], Result]) -> tuple[pa.Array, dict[int, str]]:
    """``fn`` applied once per distinct value; (converted values, row -> problem)."""
    if len(values) == 0:
        return pa.array([], type=pa.string()), {}
    enc = values.dictionary_encode()
    out, bad = [], {}
    for k, u in enumerate(enc.dictionary.to_pylist()):
        text, problem = fn(u) if u != "" else ("", None)
        out.append(text)
        if problem:
            bad[k] = problem
    converted = pa.array(out, type=pa.string()).take(enc.indices)
    rows: dict[int, str] = {}
    if bad:
        codes = enc.indices.to_numpy(zero_copy_only=False)
        for k, problem in bad.items():
            for i in np.nonzero(codes == k)[0]:
                rows[int(i)] = problem
    return converted, rows


class _Import:
    """One import: the project, its records and the problems found so far."""

    def __init__(self, project: Project):
        self.p = project
        self.problems: list[Problem] = []
        used = project.mapping.fields_used() | set(SYSTEM) | {project.record_id}
        self.rec = read_records(project, self.problems,
                                lambda n: n in used or n.split("___")[0] in used)
        names = set(self.rec.names)
        if project.record_id not in names:
            raise RedcapError(f"{self.rec.path.name} has no {project.record_id} column "
                              "(the record ID field)")
        empty = _blank(len(self.rec))
        self.id_arrow = self._arrow(project.record_id)
        self.has_events = False      # until the events are read: messages name none
        self.repeat_arrow = self.instance_arrow = self.event_arrow = empty
        if "redcap_event_name" in names:
            self.event_arrow = self._events()
            self.has_events = True
        if "redcap_repeat_instrument" in names:
            self.repeat_arrow = self._instruments()
        if "redcap_repeat_instance" in names:
            self.instance_arrow = self._arrow("redcap_repeat_instance")
        self.labelled: list[str] = []   # fields whose values were labels, not codes

    def _arrow(self, name: str, idx: np.ndarray | None = None) -> pa.Array:
        """A column (at rows ``idx``) as one trimmed Arrow string array."""
        col = self.rec.table.column(name)
        if idx is not None:
            col = col.take(pa.array(idx, type=pa.int64()))
        return pc.utf8_trim_whitespace(col.combine_chunks())

    # -- events and repeating instruments, decoded from labels when a labels export
    def _events(self) -> pa.Array:
        raw = self._arrow("redcap_event_name")
        known = {e.unique for e in self.p.events}
        by_label: dict[str, str] = {}
        for e in self.p.events:
            by_label[f"{e.label} (Arm {e.arm}: {e.arm_name})".lower()] = e.unique
        for lab in {e.label for e in self.p.events}:
            same = [e for e in self.p.events if e.label == lab]
            if len(same) == 1:
                by_label.setdefault(lab.lower(), same[0].unique)

        def decode(v: str) -> Result:
            if v in known or (not known and re.fullmatch(r"[a-z0-9_]+", v)):
                return v, None
            if v.lower() in by_label:
                return by_label[v.lower()], None
            if not self.p.events:
                raise RedcapError(
                    f"{self.rec.path.name}: redcap_event_name holds event labels "
                    f"({quote(v)}), not unique event names; put the project's events CSV (and "
                    "arms CSV) in the folder (Project Setup, Define My Events, Download; or "
                    "fetch-redcap), or export again with raw values")
            return v, f"event {quote(v)} is not an event of the events CSV"

        conv, bad = _spread(raw, decode)
        for i, msg in bad.items():
            self.problem("redcap", i, "redcap_event_name", "error", msg + "; row left out",
                         raw[i].as_py())
        if bad:   # a row of an unknown event goes to no table
            mask = np.zeros(len(conv), dtype=bool)
            mask[list(bad)] = True
            conv = pc.if_else(pa.array(mask), "", conv)
        return conv

    def _instruments(self) -> pa.Array:
        raw = self._arrow("redcap_repeat_instrument")
        forms = {f.form for f in self.p.dictionary.values()}

        def decode(v: str) -> Result:
            if v in forms:
                return v, None
            slug = re.sub(r"[^a-z0-9]+", "_", v.lower()).strip("_")
            return (slug, None) if slug in forms else (v, None)

        return _spread(raw, decode)[0]

    # -- problems
    def where(self, i: int) -> str:
        parts = [f"record {self.id_arrow[i].as_py()}"]
        if self.has_events:
            parts.append(f"event {self.event_arrow[i].as_py()}")
        rep, inst = self.repeat_arrow[i].as_py(), self.instance_arrow[i].as_py()
        if rep:
            parts.append(f"{rep} #{inst}" if inst else rep)
        return ", ".join(parts)

    def problem(self, table: str, i: int | None, column: str, severity: str, message: str,
                value: str | None = None) -> None:
        line = int(self.rec.lines[i]) if i is not None else None
        prefix = f"{self.where(i)}, field {column}: " if i is not None and column else (
            f"{self.where(i)}: " if i is not None else "")
        self.problems.append(Problem(table, line, column, severity, prefix + message, value))

    def info(self, message: str, column: str = "") -> None:
        self.problems.append(Problem("redcap", 1, column, "info", message))

    # -- rows of a table
    def select(self, tm: TableMap) -> np.ndarray:
        n = len(self.rec)
        keep = np.ones(n, dtype=bool)
        if tm.events is not None:
            if not self.has_events:
                raise RedcapError(f"mapping {self.p.mapping.name}: [tables.{tm.name}] names "
                                  "events, but the records file has no redcap_event_name "
                                  "column (a classic project: leave event out)")
            uniq = pc.unique(self.event_arrow).to_pylist()
            hit = [u for u in uniq if any(event_matches(e, u) for e in tm.events)]
            keep &= _mask(pc.is_in(self.event_arrow, value_set=pa.array(hit, type=pa.string())))
        if tm.repeat_instrument is not None:
            keep &= _mask(pc.equal(self.repeat_arrow, tm.repeat_instrument))
        if tm.required_field:
            if tm.required_field not in self.rec.header:
                raise RedcapError(f"mapping {self.p.mapping.name}: required_field "
                                  f"{tm.required_field} of [tables.{tm.name}] is not a column "
                                  f"of {self.rec.path.name}")
            keep &= _mask(pc.not_equal(self._arrow(tm.required_field), ""))
        return np.nonzero(keep)[0]

    # -- one column of a table
    def convert(self, tm: TableMap, spec: FieldSpec, idx: np.ndarray, done: dict[str, Done]
                ) -> tuple[pa.Array, np.ndarray | None]:
        """(values for rows ``idx``, rows to drop or None)."""
        t = tm.name
        if spec.kind == "from_record":
            return self._from_record(tm, spec, idx, done)
        if spec.kind in ("from_event", "from_arm"):
            return self._from_event(tm, spec, idx), None
        if spec.kind == "checkbox":
            return self._checkbox(tm, spec, idx), None
        if spec.source not in self.rec.header:
            self.problems.append(Problem(t, None, spec.source, "error",
                                         f"field {spec.source} (for {t}.{spec.column}) is not a "
                                         f"column of {self.rec.path.name}; left empty"))
            return _blank(len(idx)), None
        f = self.p.field_of(spec.source)
        if f is None and spec.source not in SYSTEM and spec.source != self.p.record_id:
            self.problems.append(Problem(t, None, spec.source, "warning",
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
                return self._arrow(spec.source, idx), None   # numbers pass as written

            def fn(v: str) -> Result:
                return to_number(v, f)
        else:
            fn = Decoder(f, spec.values)
        raw = self._arrow(spec.source, idx)
        if isinstance(fn, Decoder) and not (f and f.choices) and spec.values is None:
            return raw, None   # free text: nothing to decode
        out, bad = _spread(raw, fn)
        for j, msg in bad.items():
            self.problem(t, int(idx[j]), spec.source, "error", msg + "; treated as missing",
                         raw[j].as_py())
        if isinstance(fn, Decoder) and fn.from_label and spec.source not in self.labelled:
            self.labelled.append(spec.source)
        return out, None

    def _from_record(self, tm: TableMap, spec: FieldSpec, idx: np.ndarray,
                     done: dict[str, Done]) -> tuple[pa.Array, np.ndarray]:
        src_t, src_c = spec.source.split(".")
        if src_t not in done or src_c not in done[src_t][1]:
            raise RedcapError(f"mapping {self.p.mapping.name}: [tables.{tm.name}] column "
                              f"{spec.column} takes {spec.source}, which the mapping does not "
                              "give")
        rows, frame = done[src_t]
        given = pc.not_equal(frame[src_c], "")
        src_ids = self.id_arrow.take(pa.array(rows, type=pa.int64())).filter(given)
        src_vals = frame[src_c].filter(given)
        # index_in finds each record's first row that gives the value
        pos = pc.index_in(self.id_arrow.take(pa.array(idx, type=pa.int64())),
                          value_set=src_ids)
        missing = _mask(pos.is_null())
        values = src_vals.take(pos.fill_null(0)) if len(src_vals) else _blank(len(idx))
        for j in np.nonzero(missing)[0]:
            self.problem(tm.name, int(idx[j]), "", "error",
                         f"no {src_t} row gives its {src_c}; row left out",
                         self.id_arrow[int(idx[j])].as_py())
        return values, missing

    def _from_event(self, tm: TableMap, spec: FieldSpec, idx: np.ndarray) -> pa.Array:
        if not self.has_events:
            raise RedcapError(f"mapping {self.p.mapping.name}: [tables.{tm.name}] column "
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

        out, bad = _spread(self.event_arrow.take(pa.array(idx, type=pa.int64())), by_event)
        for j, msg in bad.items():
            self.problem(tm.name, int(idx[j]), "redcap_event_name", "error",
                         msg + "; treated as missing")
        return out

    def _checkbox(self, tm: TableMap, spec: FieldSpec, idx: np.ndarray) -> pa.Array:
        f = self.p.dictionary.get(spec.source)
        if f is None or f.ftype != "checkbox":
            raise RedcapError(f"mapping {self.p.mapping.name}: [tables.{tm.name}] column "
                              f"{spec.column}: {spec.source} is not a checkbox field of the "
                              "data dictionary")
        boxes = choice_columns(self.rec, f)
        if not boxes:
            self.problems.append(Problem(tm.name, None, spec.source, "error",
                                         f"no {spec.source}___code column in "
                                         f"{self.rec.path.name}; left empty"))
            return _blank(len(idx))
        ticks = np.zeros((len(idx), len(boxes)), dtype=bool)
        for k, (col, lab) in enumerate(boxes):
            low = pc.utf8_lower(self._arrow(col, idx))
            ticks[:, k] = _mask(pc.is_in(low, value_set=pa.array([*TICKED, lab.lower()])))
            odd = ~ticks[:, k] & ~_mask(pc.is_in(low, value_set=pa.array(sorted(UNTICKED))))
            for j in np.nonzero(odd)[0]:
                value = low[j].as_py()
                self.problem(tm.name, int(idx[j]), col, "error",
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

    # -- a whole table
    def table(self, tm: TableMap, done: dict[str, Done]) -> Done:
        idx = self.select(tm)
        cols: dict[str, pa.Array] = {}
        drop = np.zeros(len(idx), dtype=bool)
        for spec in tm.fields:
            values, missing = self.convert(tm, spec, idx, done)
            cols[spec.column] = values
            if missing is not None:
                drop |= missing
        if drop.any():
            keep = pa.array(~drop)
            cols = {c: v.filter(keep) for c, v in cols.items()}
        return idx[~drop], cols

    # -- where each converted row came from, for contract problems found on it later
    def locations(self, done: dict[str, Done]) -> pa.Table:
        parts = []
        for t, (rows, _) in done.items():
            take = pa.array(rows, type=pa.int64())
            pieces: list[Any] = [pa.scalar("record "), self.id_arrow.take(take)]
            if self.has_events:
                pieces += [pa.scalar(", event "), self.event_arrow.take(take)]
            rep = self.repeat_arrow.take(take)
            if pc.any(pc.not_equal(rep, "")).as_py():
                inst = self.instance_arrow.take(take)
                pieces.append(pc.if_else(pc.equal(rep, ""), "", pc.binary_join_element_wise(
                    ", ", rep, " #", inst, "")))
            where = pc.binary_join_element_wise(*pieces, "")
            parts.append(pa.table({
                "table": pa.repeat(pa.scalar(t, pa.string()), len(rows)),
                "row": pa.array(np.arange(len(rows)), pa.int64()),
                "line": pa.array(self.rec.lines[rows], pa.int64()), "where": where}))
        if not parts:
            return pa.table({"table": pa.array([], pa.string()), "row": pa.array([], pa.int64()),
                             "line": pa.array([], pa.int64()), "where": pa.array([], pa.string())})
        return pa.concat_tables(parts)

    # -- what the mapping leaves unused
    def summarize(self, used_rows: np.ndarray) -> None:
        m = self.p.mapping
        used = m.fields_used()
        system = set(SYSTEM) | {self.p.record_id}
        unused: list[str] = []
        for name in self.rec.header:
            base = name.split("___")[0]
            f = self.p.field_of(name)
            # REDCap's own columns: form status (of any form) and survey timestamps
            if name in system or base in used or name.endswith("_complete") or (
                    f is not None and f.ftype in ("timestamp", "descriptive")):
                continue
            if base not in unused:
                unused.append(base)
        if unused:
            self.info(f"{len(unused)} REDCap field(s) not used by the mapping, ignored: "
                      f"{_few(unused)}")
        used_forms = {f.form for f in map(self.p.field_of, used) if f is not None}
        forms: list[str] = []
        for f in self.p.dictionary.values():
            if f.form not in used_forms and f.form not in forms:
                forms.append(f.form)
        if forms:
            self.info(f"{len(forms)} instrument(s) not used by the mapping, ignored: "
                      f"{_few(forms)}")
        if self.has_events:
            rest = np.ones(len(self.rec), dtype=bool)
            rest[used_rows] = False
            named = [e for t in m.tables.values() for e in (t.events or ())]
            ignored = list(m.ignore_events)
            left = pd.Series(self.event_arrow.filter(pa.array(rest)).to_pandas()).value_counts(
                sort=False)
            unused_ev = [f"{ev} ({n} rows)" for ev, n in left.items()
                         if ev and not any(event_matches(e, ev) for e in named + ignored)]
            if unused_ev:
                self.info(f"{len(unused_ev)} event(s) not used by the mapping, their rows "
                          f"ignored: {_few(unused_ev)} (list them in [redcap].ignore_events)",
                          "redcap_event_name")
            if self.p.events:
                known = [e.unique for e in self.p.events]
                for t in m.tables.values():
                    for e in t.events or ():
                        if not any(event_matches(e, k) for k in known):
                            self.problems.append(Problem(
                                "redcap", None, "redcap_event_name", "warning",
                                f"event {e} of [tables.{t.name}] is not an event of the "
                                "project's events CSV"))
        if self.labelled:
            self.info(f"values of {len(self.labelled)} field(s) are labels rather than raw "
                      f"codes (a labels export), read through the data dictionary: "
                      f"{_few(self.labelled)}")


def _manifest(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    mf = folder / "manifest.json"
    if not mf.is_file():
        return {}
    try:
        value = json.loads(mf.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        value = None
    if not isinstance(value, dict):
        problems.append(Problem("manifest", None, "", "warning",
                                "manifest.json is not a JSON object; ignored"))
        return {}
    return value


def import_folder(folder: Path, mapping_path: Path | None = None) -> Imported:
    """Convert a REDCap folder into contract tables.

    Parameters
    ----------
    folder : Path
        The records CSV, the data dictionary, optionally the events and arms
        CSVs, a mapping TOML and ``manifest.json``.
    mapping_path : Path, optional
        The mapping; default the folder's TOML file, else the reference trial's.

    Raises
    ------
    RedcapError
        The folder is not a REDCap folder, or its mapping or header cannot be used.
    """
    folder = Path(folder)
    project = open_project(folder, mapping_path)
    if project is None:
        raise RedcapError(f"{folder} is not a REDCap project export: looked for "
                          + " and ".join(LOOKED_FOR))
    run = _Import(project)
    done: dict[str, Done] = {}
    # tables that take a value from another table's rows wait for it; the rest are
    # converted side by side (Arrow's kernels release the interpreter's lock)
    pending = dict(project.mapping.tables)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rfa_redcap") as pool:
        while pending:
            ready = [n for n, tm in pending.items()
                     if all(f.source.split(".")[0] in done for f in tm.fields
                            if f.kind == "from_record")]
            futures = {n: pool.submit(run.table, pending.pop(n), dict(done)) for n in ready}
            for n, fut in futures.items():
                done[n] = fut.result()
    done = {n: done[n] for n in project.mapping.tables}   # the mapping's order
    for name in TABLE_ORDER:
        if name not in done and TABLES[name].required:
            # written empty, so that the one message is the mapping's, not a missing file's
            run.problems.append(Problem(name, None, "", "error",
                                        f"the mapping {project.mapping.name} gives no {name} "
                                        f"table, which the contract requires: add "
                                        f"[tables.{name}]"))
            done[name] = (np.array([], dtype=np.int64), {})
    used = np.concatenate([rows for rows, _ in done.values()]) if done else np.array([], int)
    run.summarize(used)
    manifest = _manifest(folder, run.problems)
    lines = {t: run.rec.lines[rows].tolist() for t, (rows, _) in done.items()}
    sources = {t: {f.column: f.source for f in tm.fields if f.kind in ("field", "checkbox")}
               for t, tm in project.mapping.tables.items()}
    return Imported({t: frame for t, (_, frame) in done.items()}, lines, run.problems,
                    manifest, project, run.locations(done), sources)


def remap_lines(problems: pd.DataFrame, locations: pa.Table,
                fields: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Contract problems on a converted export, told in terms of the REDCap project.

    ``problems`` name lines of the converted contract files (header = line 1,
    row i at line i + 2). Each becomes the records-file line the row came
    from (in the line column and in "first at line N" inside messages); the
    message starts with the record and event, and the column is the REDCap
    field the contract column came from, when one did. ``locations`` is
    :attr:`Imported.locations`.
    """
    out = problems.copy()
    for table in pc.unique(locations["table"]).to_pylist():
        rows = (out["table"] == table) & out["line"].notna() & (out["line"] >= 2)
        if not rows.any():
            continue
        mine = locations.filter(pc.equal(locations["table"], table))
        line_of = mine["line"].to_numpy()
        where_of = mine["where"]
        n_rows = len(line_of)

        def to_src(n: int, line_of: np.ndarray = line_of, n_rows: int = n_rows) -> int:
            return int(line_of[n - 2]) if 2 <= n < n_rows + 2 else n

        def first_at(m: re.Match[str], to_src: Callable[[int], int] = to_src) -> str:
            return m.group(1) + str(to_src(int(m.group(2))))

        numbers = [int(n) for n in out.loc[rows, "line"]]
        out.loc[rows, "message"] = [
            (f"{where_of[n - 2].as_py()}: " if 2 <= n < n_rows + 2 else "")
            + re.sub(r"(first at line )(\d+)", first_at, msg)
            for n, msg in zip(numbers, out.loc[rows, "message"], strict=True)]
        out.loc[rows, "line"] = [to_src(n) for n in numbers]
        names = fields.get(table, {})
        out.loc[rows, "column"] = [names.get(c, c) for c in out.loc[rows, "column"]]
    return out


def write_contract(imported: Imported, out: Path, parquet: bool = False) -> None:
    """Write converted tables as a contract export folder.

    CSV (UTF-8) for people; ``parquet=True`` for the cache of a REDCap folder
    opened directly, which loads in a third of the time (empty values are
    written as missing, as an empty CSV cell reads).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLE_ORDER:
        if name not in imported.tables:
            continue
        frame = imported.tables[name]
        n = len(imported.lines[name])
        arrays = [frame[c] if c in frame else _blank(n) for c in TABLES[name].names]
        if parquet:
            arrays = [pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)
                      for a in arrays]
            pq.write_table(pa.table(arrays, names=TABLES[name].names), out / f"{name}.parquet",
                           compression="none")
        else:
            pacsv.write_csv(pa.table(arrays, names=TABLES[name].names), out / f"{name}.csv",
                            write_options=pacsv.WriteOptions(quoting_style="needed"))
    (out / "manifest.json").write_text(json.dumps(imported.manifest, indent=2) + "\n",
                                       encoding="utf-8")
