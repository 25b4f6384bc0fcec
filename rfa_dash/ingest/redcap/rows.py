"""A REDCap records file with its row context: record, event, repeating instrument and
instance of every row, the rows a table's mapping selects, and problems that name where
a row came from.

The records file is read once as text columns (:mod:`.records`); events and repeating
instruments given as labels (a labels export) are decoded to their unique names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rfa_dash.ingest.problems import Problem, quote
from rfa_dash.ingest.redcap.mapping import RedcapError, TableMap, event_matches
from rfa_dash.ingest.redcap.project import Project
from rfa_dash.ingest.redcap.records import SYSTEM, read_records
from rfa_dash.ingest.redcap.values import Result

Done = tuple[np.ndarray, dict[str, pa.Array]]   # a converted table: source rows, columns


def closest(name: str, names: list[str]) -> str:
    """"the closest: a, b" among ``names`` (or all of a few), for a message.

    Example
    -------
    >>> closest("fllow_up", ["follow_up", "screening", "sre"])
    'the closest: follow_up'
    """
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if near:
        return "the closest: " + ", ".join(near)
    return ("the project has: " + ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
            if names else "the project has none")


def mask(values: pa.Array) -> np.ndarray:
    """An Arrow boolean array as a numpy mask."""
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def blank(n: int) -> pa.Array:
    """``n`` empty strings (a column the mapping does not give)."""
    return pa.repeat(pa.scalar("", pa.string()), n)


def spread(values: pa.Array, fn: Callable[[str], Result]) -> tuple[pa.Array, dict[int, str]]:
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


class Rows:
    """The records of one project, their row context, and the problems found so far."""

    def __init__(self, project: Project):
        self.p = project
        self.problems: list[Problem] = []
        self.left_out: set[int] = set()   # rows left out with an error (an unknown event...)
        used = project.mapping.fields_used() | set(SYSTEM) | {project.record_id}
        self.rec = read_records(project, self.problems,
                                lambda n: n in used or n.split("___")[0] in used)
        if project.source is not None and project.source_lines is not None:
            # read from an ODM file: messages name its lines and its name
            self.rec.lines = np.asarray(project.source_lines, dtype=np.int64)[
                self.rec.lines - 2] if len(self.rec) else self.rec.lines
            self.rec.path = project.source
        for note in project.notes:
            self.info(note)
        names = set(self.rec.names)
        if project.record_id not in names:
            raise RedcapError(f"{self.rec.path.name} has no {project.record_id} column "
                              "(the record ID field)")
        empty = blank(len(self.rec))
        self.id_arrow = self.arrow(project.record_id)
        self.has_events = False      # until the events are read: messages name none
        self.repeat_arrow = self.instance_arrow = self.event_arrow = empty
        if "redcap_event_name" in names:
            self.event_arrow = self._events()
            self.has_events = True
        if "redcap_repeat_instrument" in names:
            self.repeat_arrow = self._instruments()
        if "redcap_repeat_instance" in names:
            self.instance_arrow = self.arrow("redcap_repeat_instance")
        self.labelled: list[str] = []   # fields whose values were labels, not codes

    def arrow(self, name: str, idx: np.ndarray | None = None) -> pa.Array:
        """A column (at rows ``idx``) as one trimmed Arrow string array."""
        col = self.rec.table.column(name)
        if idx is not None:
            col = col.take(pa.array(idx, type=pa.int64()))
        return pc.utf8_trim_whitespace(col.combine_chunks())

    # -- events and repeating instruments, decoded from labels when a labels export
    def _events(self) -> pa.Array:
        raw = self.arrow("redcap_event_name")
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

        conv, bad = spread(raw, decode)
        for i, msg in bad.items():
            self.problem("redcap", i, "redcap_event_name", "error", msg + "; row left out",
                         raw[i].as_py())
        self.left_out.update(bad)
        if bad:   # a row of an unknown event goes to no table
            mask = np.zeros(len(conv), dtype=bool)
            mask[list(bad)] = True
            conv = pc.if_else(pa.array(mask), "", conv)
        return conv

    def _instruments(self) -> pa.Array:
        raw = self.arrow("redcap_repeat_instrument")
        forms = {f.form for f in self.p.dictionary.values()}

        def decode(v: str) -> Result:
            if v in forms:
                return v, None
            slug = re.sub(r"[^a-z0-9]+", "_", v.lower()).strip("_")
            return (slug, None) if slug in forms else (v, None)

        return spread(raw, decode)[0]

    # -- problems
    def where(self, i: int) -> str:
        parts = [f"record {self.id_arrow[i].as_py()}"]
        if self.has_events:
            parts.append(f"event {self.event_arrow[i].as_py()}")
        rep, inst = self.repeat_arrow[i].as_py(), self.instance_arrow[i].as_py()
        if rep:
            parts.append(f"{rep} #{inst}" if inst else rep)
        elif inst:   # a repeating event: its instance belongs to the event
            parts[-1] += f" #{inst}"
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
            self._check_events(tm, pc.unique(self.event_arrow).to_pylist())
            keep &= self.in_events(tm.events)
        if tm.repeat_instrument is not None:
            forms = list(dict.fromkeys(f.form for f in self.p.dictionary.values()))
            if tm.repeat_instrument and tm.repeat_instrument not in forms:
                raise RedcapError(f"mapping {self.p.mapping.name}: [tables.{tm.name}] "
                                  f"repeat_instrument {tm.repeat_instrument!r} is not an "
                                  "instrument of the data dictionary; "
                                  + closest(tm.repeat_instrument, forms))
            keep &= mask(pc.equal(self.repeat_arrow, tm.repeat_instrument))
        if tm.required_field:
            if tm.required_field not in self.rec.header:
                raise RedcapError(f"mapping {self.p.mapping.name}: required_field "
                                  f"{tm.required_field} of [tables.{tm.name}] is not a column "
                                  f"of {self.rec.path.name}")
            keep &= mask(pc.not_equal(self.arrow(tm.required_field), ""))
        return np.nonzero(keep)[0]

    def in_events(self, names: tuple[str, ...]) -> np.ndarray:
        """Which rows are of an event a mapping names by ``names`` (:func:`event_matches`:
        with or without the arm suffix)."""
        uniq = pc.unique(self.event_arrow).to_pylist()
        hit = [u for u in uniq if any(event_matches(e, u) for e in names)]
        return mask(pc.is_in(self.event_arrow, value_set=pa.array(hit, type=pa.string())))

    def _check_events(self, tm: TableMap, present: list[str]) -> None:
        """Every event ``tm`` names must be the project's: with an events CSV, one of its
        events (else an error). Without one only the records tell the events, and an event
        no participant has reached yet has no rows; when none of the table's events has
        any (the table would be empty), a name close to a row's event is taken for a
        misspelling (an error), others for events not reached yet (a warning)."""
        known = [e.unique for e in self.p.events] or [u for u in present if u]
        missing = [e for e in tm.events or () if not any(event_matches(e, k) for k in known)]
        if not missing:
            return
        where = ((f"the project's events ({self.p.source.name})" if self.p.source else
                  "the project's events CSV") if self.p.events else
                 f"any row of {self.rec.path.name} (no events CSV in the folder)")
        text = (f"mapping {self.p.mapping.name}: event {missing[0]} of [tables.{tm.name}] is "
                f"not an event of {where}; " + closest(missing[0], known))
        if not self.p.events:
            text += ("; if no participant has reached it yet, put the project's events CSV "
                     "in the folder (Project Setup, Define My Events, Download; or "
                     "fetch-redcap)")
        if self.p.events:
            raise RedcapError(text)
        if len(missing) < len(tm.events or ()):
            return
        bases = [re.sub(r"_arm_\d+$", "", k) for k in known]   # as mappings write them
        if any(difflib.get_close_matches(e, known + bases, n=1, cutoff=0.6) for e in missing):
            raise RedcapError(text)
        self.problems.append(Problem(
            "redcap", None, "redcap_event_name", "warning",
            f"mapping {self.p.mapping.name}: no row of {self.rec.path.name} has the events of "
            f"[tables.{tm.name}] ({', '.join(missing[:5])}): the table is empty; if that is "
            "wrong, put the project's events CSV in the folder (Project Setup, Define My "
            "Events, Download; or fetch-redcap) and check again"))

    def locations(self, done: dict[str, Done]) -> pa.Table:
        parts = []
        for t, (rows, _) in done.items():
            take = pa.array(rows, type=pa.int64())
            pieces: list[Any] = [pa.scalar("record "), self.id_arrow.take(take)]
            if self.has_events:
                pieces += [pa.scalar(", event "), self.event_arrow.take(take)]
            rep = self.repeat_arrow.take(take)
            inst = self.instance_arrow.take(take)
            if pc.any(pc.or_(pc.not_equal(rep, ""), pc.not_equal(inst, ""))).as_py():
                # as where(): a repeating instrument's ", sre #2", a repeating event's " #2"
                number = pc.if_else(pc.equal(inst, ""), "",
                                    pc.binary_join_element_wise(" #", inst, ""))
                pieces.append(pc.if_else(pc.equal(rep, ""), number,
                                         pc.binary_join_element_wise(", ", rep, number, "")))
            where = pc.binary_join_element_wise(*pieces, "")
            parts.append(pa.table({
                "table": pa.repeat(pa.scalar(t, pa.string()), len(rows)),
                "row": pa.array(np.arange(len(rows)), pa.int64()),
                "line": pa.array(self.rec.lines[rows], pa.int64()), "where": where}))
        if not parts:
            return pa.table({"table": pa.array([], pa.string()), "row": pa.array([], pa.int64()),
                             "line": pa.array([], pa.int64()), "where": pa.array([], pa.string())})
        return pa.concat_tables(parts)
