"""The mapping from a REDCap project to the export contract, read from TOML and checked.

A mapping names, for each contract table, which rows of the records file feed
it (``event`` or ``events``, ``repeat_instrument``, ``required_field``) and
which REDCap field feeds each contract column. The syntax is in
``docs/redcap.md``; the reference trial's mapping is ``nct07090122.toml``
beside this module.

Event names match REDCap's unique event names exactly, or without their
``_arm_N`` suffix: ``event = "screening"`` takes ``screening_arm_1`` and
``screening_arm_2`` of a two-arm project.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rfa_dash.contract import TABLE_ORDER, TABLES

DEFAULT_MAPPING = Path(__file__).parent / "nct07090122.toml"
KINDS = ("field", "checkbox", "from_record", "from_event", "from_arm")
ARM_SUFFIX = re.compile(r"_arm_(\d+)$")


class RedcapError(Exception):
    """The folder is not a usable REDCap export (no records or dictionary, bad mapping)."""


@dataclass(frozen=True)
class FieldSpec:
    """Where one contract column comes from.

    ``kind`` is one of ``KINDS``; ``source`` is the REDCap field (``field``,
    ``checkbox``) or ``"table.column"`` (``from_record``); ``values`` maps a
    REDCap code (``field``), an event name (``from_event``) or an arm number
    (``from_arm``) to the contract value.
    """

    column: str
    kind: str
    source: str = ""
    values: dict[str, str] | None = None


@dataclass(frozen=True)
class TableMap:
    """The rows and columns of one contract table. ``events`` None: every row."""

    name: str
    events: tuple[str, ...] | None
    repeat_instrument: str | None
    required_field: str | None
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Mapping:
    record_id: str | None           # None: the data dictionary's first field
    ignore_events: tuple[str, ...]
    tables: dict[str, TableMap]      # in an order where from_record sources come first
    name: str                        # file name, for messages
    # required tables the project does not collect yet (no off-study form built): written
    # empty, said in an info line, instead of the error a missing table is
    empty_tables: tuple[str, ...] = ()

    def fields_used(self) -> set[str]:
        """REDCap fields the mapping reads (checkbox fields by their base name)."""
        used = set()
        for t in self.tables.values():
            if t.required_field:
                used.add(t.required_field)
            used.update(f.source for f in t.fields if f.kind in ("field", "checkbox"))
        return used


def event_matches(name: str, unique: str) -> bool:
    """True when a mapping's event ``name`` denotes REDCap's unique event name ``unique``."""
    return unique == name or (unique.startswith(name) and
                              ARM_SUFFIX.fullmatch(unique[len(name):]) is not None)


def event_arm(unique: str) -> str | None:
    """The arm number of a unique event name (``month_1_arm_2`` -> ``"2"``)."""
    m = ARM_SUFFIX.search(unique)
    return m.group(1) if m else None


def _str_map(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise RedcapError(f"{where}: expected a table of code = value")
    return {str(k): str(v) for k, v in value.items()}


def _field(where: str, column: str, spec: Any) -> FieldSpec:
    if isinstance(spec, str):
        return FieldSpec(column, "field", spec)
    if not isinstance(spec, dict):
        raise RedcapError(f"{where}: expected a field name or a table")
    kinds = [k for k in KINDS if k in spec]
    unknown = set(spec) - set(KINDS) - {"values"}
    if len(kinds) != 1 or unknown or ("values" in spec and kinds != ["field"]):
        raise RedcapError(f"{where}: give exactly one of {', '.join(KINDS)}"
                          + (" (values only with field)" if "values" in spec else "")
                          + (f"; unknown key {sorted(unknown)[0]}" if unknown else ""))
    kind = kinds[0]
    if kind in ("from_event", "from_arm"):
        return FieldSpec(column, kind, "", _str_map(f"{where}.{kind}", spec[kind]))
    source = spec[kind]
    if not isinstance(source, str) or not source:
        raise RedcapError(f"{where}.{kind}: expected a name")
    if kind == "from_record":
        t, _, c = source.partition(".")
        if t not in TABLES or c not in TABLES[t].names:
            raise RedcapError(f"{where}.from_record: {source!r} is not a contract table.column")
    values = _str_map(f"{where}.values", spec["values"]) if "values" in spec else None
    return FieldSpec(column, kind, source, values)


def _table(file: str, name: str, cfg: Any) -> TableMap:
    where = f"mapping {file}: [tables.{name}]"
    if name not in TABLES:
        raise RedcapError(f"{where}: not a contract table (tables: {', '.join(TABLE_ORDER)})")
    if not isinstance(cfg, dict):
        raise RedcapError(f"{where}: expected a table")
    unknown = set(cfg) - {"event", "events", "repeat_instrument", "required_field", "fields"}
    if unknown:
        raise RedcapError(f"{where}: unknown key {sorted(unknown)[0]}")
    fields = []
    for column, spec in (cfg.get("fields") or {}).items():
        if column not in TABLES[name].names:
            raise RedcapError(f"{where}: {column} is not a column of {name} "
                              f"({', '.join(TABLES[name].names)})")
        fields.append(_field(f"{where}.fields.{column}", column, spec))
    events: tuple[str, ...] | None = None
    raw = cfg.get("events", cfg.get("event"))
    if isinstance(raw, str):
        events = (raw,)
    elif isinstance(raw, list) and raw and all(isinstance(e, str) for e in raw):
        events = tuple(raw)
    elif isinstance(raw, dict) and raw:
        # the earlier form: events = {"month_1_arm_1" = 1, ...} gives visit_month
        events = tuple(raw)
        if "visit_month" in TABLES[name].names and not any(f.column == "visit_month"
                                                           for f in fields):
            fields.append(FieldSpec("visit_month", "from_event", "",
                                    {str(k): str(v) for k, v in raw.items()}))
    elif raw is not None:
        raise RedcapError(f"{where}: event must be a name and events a list of names")
    for f in fields:
        if f.kind == "from_event" and events is None:
            events = tuple(f.values or {})
    rep = cfg.get("repeat_instrument")
    req = cfg.get("required_field")
    if rep is not None and not isinstance(rep, str) or req is not None and not isinstance(req,
                                                                                          str):
        raise RedcapError(f"{where}: repeat_instrument and required_field are names")
    return TableMap(name, events, rep, req or None, tuple(fields))


def load_mapping(path: Path | None) -> Mapping:
    """Read and check a mapping TOML (``None``: the reference trial's).

    Raises
    ------
    RedcapError
        The file cannot be read, is not TOML, or names a table, column or key
        the contract does not have.
    """
    p = Path(path) if path else DEFAULT_MAPPING
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RedcapError(f"mapping {p.name}: {exc}") from exc
    head = doc.get("redcap", {})
    unknown = set(doc) - {"redcap", "tables"} | set(head) - {"record_id", "ignore_events",
                                                             "empty_tables"}
    if unknown:
        raise RedcapError(f"mapping {p.name}: unknown key {sorted(unknown)[0]}")
    ignore = head.get("ignore_events", [])
    if not isinstance(ignore, list) or not all(isinstance(e, str) for e in ignore):
        raise RedcapError(f"mapping {p.name}: ignore_events must be a list of event names")
    tables = {n: _table(p.name, n, c) for n, c in (doc.get("tables") or {}).items()}
    # a table whose rows take a value from another table's row comes after it
    ordered: dict[str, TableMap] = {}
    pending = dict(tables)
    while pending:
        ready = [n for n, t in pending.items()
                 if all(f.source.split(".")[0] in ordered or f.source.split(".")[0] not in tables
                        for f in t.fields if f.kind == "from_record")]
        if not ready:
            raise RedcapError(f"mapping {p.name}: from_record references go round in a circle "
                              f"({', '.join(pending)})")
        for n in sorted(ready, key=lambda n: TABLE_ORDER.index(n)):
            ordered[n] = pending.pop(n)
    empty = head.get("empty_tables", [])
    if not isinstance(empty, list) or not all(isinstance(t, str) for t in empty):
        raise RedcapError(f"mapping {p.name}: empty_tables must be a list of table names")
    for t in empty:
        if t not in TABLES or t in tables:
            raise RedcapError(f"mapping {p.name}: empty_tables names {t!r}, which is "
                              + ("mapped under [tables]" if t in tables else
                                 "no table of the contract"))
    rid = head.get("record_id")
    return Mapping(rid if isinstance(rid, str) and rid else None, tuple(ignore), ordered, p.name,
                   tuple(empty))
