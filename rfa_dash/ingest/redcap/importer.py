"""Import a REDCap records export (flat CSV, raw codes) plus its data dictionary.

A REDCap folder holds the records CSV (its header has the record-ID field and
``redcap_event_name``), the data dictionary CSV (REDCap's own export, first
column "Variable / Field Name") and optionally a mapping TOML; without one the
reference trial's mapping (``nct07090122.toml`` beside this module) is used.
The mapping says which event or repeating instrument feeds each contract
table and which REDCap field feeds each contract column.

Every problem names the REDCap field, record and event. Rows that cannot be
mapped are left out of the converted table and reported; the REDCap files are
never modified.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rfa_dash.contract import TABLE_ORDER, TABLES
from rfa_dash.ingest.problems import Problem, quote

DEFAULT_MAPPING = Path(__file__).parent / "nct07090122.toml"
DICT_FIRST = "variable / field name"
DATE_TYPES = {"date_ymd": "ymd", "date_mdy": "mdy", "date_dmy": "dmy",
              "datetime_ymd": "ymd", "datetime_mdy": "mdy", "datetime_dmy": "dmy",
              "datetime_seconds_ymd": "ymd", "datetime_seconds_mdy": "mdy",
              "datetime_seconds_dmy": "dmy"}


class RedcapError(Exception):
    """The folder is not a usable REDCap export (no records or dictionary, bad mapping)."""


@dataclass
class DictField:
    name: str
    form: str
    ftype: str
    choices: dict[str, str] = field(default_factory=dict)  # raw code -> label
    validation: str = ""


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise RedcapError(f"{path.name} is empty")
    return [h.strip() for h in rows[0]], rows[1:]


def find_files(folder: Path, record_field: str = "record_id") -> tuple[Path, Path] | None:
    """(records, dictionary) CSV files of a REDCap folder, or None when it is not one."""
    records = dictionary = None
    for p in sorted(folder.glob("*.csv")):
        try:
            with p.open(newline="", encoding="utf-8-sig") as f:
                header = [h.strip().lower() for h in next(csv.reader(f), [])]
        except (OSError, UnicodeDecodeError):
            continue
        if header and header[0] == DICT_FIRST:
            dictionary = p
        elif record_field in header and "redcap_event_name" in header:
            records = p
    return (records, dictionary) if records and dictionary else None


def is_redcap_folder(folder: Path) -> bool:
    """True when ``folder`` holds a REDCap records export and data dictionary."""
    return Path(folder).is_dir() and find_files(Path(folder)) is not None


def fingerprint(folder: Path) -> str:
    """SHA-256 over the names and bytes of the folder's CSV, TOML and JSON files."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).iterdir()):
        if p.is_file() and p.suffix.lower() in (".csv", ".toml", ".json"):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def parse_choices(text: str) -> dict[str, str]:
    """REDCap's "1, Female | 2, Male" as {"1": "Female", "2": "Male"}."""
    out = {}
    for part in (text or "").split("|"):
        if "," in part:
            code, label = part.split(",", 1)
            out[code.strip()] = label.strip()
    return out


def read_dictionary(path: Path) -> dict[str, DictField]:
    header, rows = _read_csv(path)
    low = [h.lower() for h in header]

    def col(*names: str) -> int | None:
        for n in names:
            for i, h in enumerate(low):
                if h.startswith(n):
                    return i
        return None

    i_name, i_form, i_type = col("variable"), col("form name"), col("field type")
    i_choices = col("choices")
    i_valid = col("text validation type")
    if i_name is None or i_form is None or i_type is None:
        raise RedcapError(f"{path.name} is not a REDCap data dictionary")
    out = {}
    for r in rows:
        if len(r) <= i_type or not r[i_name].strip():
            continue
        out[r[i_name].strip()] = DictField(
            r[i_name].strip(), r[i_form].strip(), r[i_type].strip().lower(),
            parse_choices(r[i_choices]) if i_choices is not None and i_choices < len(r) else {},
            r[i_valid].strip().lower() if i_valid is not None and i_valid < len(r) else "")
    return out


def load_mapping(path: Path | None) -> dict[str, Any]:
    p = Path(path) if path else DEFAULT_MAPPING
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RedcapError(f"mapping {p.name}: {exc}") from exc


def _date(value: str, validation: str) -> str | None:
    v = value.strip().split(" ")[0].split("T")[0]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    m = re.fullmatch(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})", v)
    if m and DATE_TYPES.get(validation) in ("mdy", "dmy"):
        a, b, y = (int(x) for x in m.groups())
        month, day = (a, b) if DATE_TYPES[validation] == "mdy" else (b, a)
        try:
            return dt.date(y, month, day).isoformat()
        except ValueError:
            return None
    return None


@dataclass
class _Ctx:
    fname: str
    problems: list[Problem]
    dictionary: dict[str, DictField]
    warned: set[tuple[str, str]] = field(default_factory=set)

    def problem(self, table: str, line: int | None, fld: str, severity: str, msg: str,
                value: str | None = None) -> None:
        self.problems.append(Problem(table, line, fld, severity, msg, value))


def _code(ctx: _Ctx, table: str, line: int, rec: str, event: str, fname: str, raw: str,
          values: dict[str, object] | None) -> str:
    """A raw REDCap value through the dictionary's choices and the mapping's values."""
    if raw == "":
        return ""
    d = ctx.dictionary.get(fname)
    code = raw
    if d and d.choices and raw not in d.choices:
        by_label = {lab.lower(): c for c, lab in d.choices.items()}
        if raw.strip().lower() in by_label:
            code = by_label[raw.strip().lower()]
            if (fname, "label") not in ctx.warned:
                ctx.warned.add((fname, "label"))
                ctx.problem(table, line, fname, "warning",
                            f"field {fname} holds labels ({quote(raw)}) instead of raw codes; "
                            "read through the data dictionary")
        else:
            ctx.problem(table, line, fname, "error",
                        f"record {rec}, event {event}, field {fname}: {quote(raw)} is not one "
                        f"of its codes ({', '.join(d.choices)}); treated as missing", raw)
            return ""
    if values is not None:
        if code not in values:
            ctx.problem(table, line, fname, "error",
                        f"record {rec}, event {event}, field {fname}: code {quote(code)} has no "
                        "contract value in the mapping; treated as missing", raw)
            return ""
        return str(values[code])
    if d and d.ftype in ("yesno", "truefalse") and code.lower() in ("yes", "true"):
        return "1"
    if d and d.ftype in ("yesno", "truefalse") and code.lower() in ("no", "false"):
        return "0"
    if d and (d.validation in DATE_TYPES):
        iso = _date(code, d.validation)
        if iso is None:
            ctx.problem(table, line, fname, "error",
                        f"record {rec}, event {event}, field {fname}: {quote(raw)} is not a date "
                        f"in the field's format ({d.validation}); treated as missing", raw)
            return ""
        return iso
    return code


class Rows(list[dict[str, str]]):
    """Converted rows of one contract table; ``lines[i]`` is row i's line in the records file."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[int] = []


def remap_lines(problems: pd.DataFrame, lines: dict[str, list[int]]) -> pd.DataFrame:
    """Contract problems on a converted export, with lines of the REDCap records file.

    ``problems`` name lines of the converted contract files (header = line 1,
    row i at line i + 2); each becomes the records-file line the row came
    from, in the line column and in "first at line N" inside messages.
    """
    out = problems.copy()
    for table, src in lines.items():
        def to_src(n: int, src: list[int] = src) -> int:
            return src[n - 2] if 2 <= n < len(src) + 2 else n

        rows = (out["table"] == table) & out["line"].notna() & (out["line"] >= 2)
        if not rows.any():
            continue
        out.loc[rows, "line"] = [to_src(int(n)) for n in out.loc[rows, "line"]]

        def first_at(m: re.Match[str], to_src: Callable[[int], int] = to_src) -> str:
            return m.group(1) + str(to_src(int(m.group(2))))

        out.loc[rows, "message"] = [re.sub(r"(first at line )(\d+)", first_at, msg)
                                    for msg in out.loc[rows, "message"]]
    return out


def import_folder(folder: Path, mapping_path: Path | None = None
                  ) -> tuple[dict[str, list[dict[str, str]]], list[Problem], dict[str, Any]]:
    """Convert a REDCap folder into contract tables.

    Returns
    -------
    tables : dict
        Contract table name to a list of row dicts (values as text).
    problems : list of Problem
        Mapping problems, each naming the REDCap field, record and event.
    manifest : dict
        The folder's manifest.json, if any.
    """
    folder = Path(folder)
    if mapping_path is None:
        tomls = sorted(folder.glob("*.toml"))
        mapping_path = tomls[0] if tomls else None
    mapping = load_mapping(mapping_path)
    rid = mapping.get("redcap", {}).get("record_id", "record_id")
    files = find_files(folder, rid)
    if files is None:
        raise RedcapError(f"{folder} has no REDCap records export and data dictionary")
    rec_path, dict_path = files
    dictionary = read_dictionary(dict_path)
    header, rows = _read_csv(rec_path)
    ctx = _Ctx(rec_path.name, [], dictionary)
    col = {h: i for i, h in enumerate(header)}
    for req in ("redcap_event_name",):
        if req not in col:
            raise RedcapError(f"{rec_path.name} has no {req} column")

    def cell(r: list[str], i: int | None) -> str:
        """Row ``r``'s value at column position ``i`` (None: no such column), trimmed."""
        return r[i].strip() if i is not None and i < len(r) else ""

    def get(r: list[str], name: str) -> str:
        return cell(r, col.get(name))

    tables_cfg = mapping.get("tables", {})
    known_events: set[str] = set()
    for cfg in tables_cfg.values():
        if "event" in cfg:
            known_events.add(cfg["event"])
        known_events.update(cfg.get("events", {}))
    mapped = {rid, "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"}
    for cfg in tables_cfg.values():
        for spec in cfg.get("fields", {}).values():
            if isinstance(spec, str):
                mapped.add(spec)
            elif "field" in spec:
                mapped.add(spec["field"])
            elif "checkbox" in spec:
                mapped.update(h for h in header if h.startswith(spec["checkbox"] + "___"))
        if "required_field" in cfg:
            mapped.add(cfg["required_field"])
    for h in header:
        if h not in mapped:
            ctx.problem("redcap", 1, h, "warning",
                        f"REDCap field {h} is not mapped to the contract; ignored")
    # rows of each event (in file order), so each table reads only its own rows
    by_event: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_event.setdefault(get(r, "redcap_event_name"), []).append(i)
    unknown_events = {ev: len(ix) for ev, ix in by_event.items() if ev not in known_events}
    for ev, n in unknown_events.items():
        ctx.problem("redcap", None, "redcap_event_name", "error",
                    f"event {quote(ev)} is not in the mapping; its {n} row(s) were left out", ev)

    out: dict[str, list[dict[str, str]]] = {}
    by_record: dict[str, dict[str, dict[str, str]]] = {}
    order = ["screening", "randomization", "visits", "sre_events", "offstudy", "adverse_events"]
    for tname in order:
        cfg = tables_cfg.get(tname)
        if cfg is None:
            continue
        events = cfg.get("events") or {cfg.get("event"): None}
        repeat = cfg.get("repeat_instrument")
        result = Rows()
        # each field's column position, found once per table rather than per row:
        # (column, kind, position or boxes or source table, field or source column, values)
        plan: list[tuple[Any, ...]] = []
        for column, spec in cfg.get("fields", {}).items():
            if isinstance(spec, str):
                plan.append((column, "code", col.get(spec), spec, None))
            elif "field" in spec:
                plan.append((column, "code", col.get(spec["field"]), spec["field"],
                             spec.get("values")))
            elif "checkbox" in spec:
                choices = dictionary.get(spec["checkbox"], DictField("", "", "")).choices
                boxes = [(lab, col.get(f"{spec['checkbox']}___{code.lower()}"))
                         for code, lab in choices.items()]
                plan.append((column, "checkbox", boxes, None, None))
            elif "from_record" in spec:
                plan.append((column, "from", *spec["from_record"].split("."), None))
        i_repeat, i_rid = col.get("redcap_repeat_instrument"), col.get(rid)
        i_required = col.get(cfg["required_field"]) if cfg.get("required_field") else None
        for i, ev in sorted((k, e) for e in events for k in by_event.get(e, ())):
            r = rows[i]
            line = i + 2
            if repeat is not None and cell(r, i_repeat) != repeat:
                continue
            if cfg.get("required_field") and cell(r, i_required) == "":
                continue
            rec = cell(r, i_rid)
            row: dict[str, str] = {}
            complete = True
            if events[ev] is not None:
                row["visit_month"] = str(events[ev])
            for column, kind, a, b, c in plan:
                if kind == "code":
                    row[column] = _code(ctx, tname, line, rec, ev, b, cell(r, a), c)
                elif kind == "checkbox":
                    row[column] = ";".join(lab for lab, k in a
                                           if cell(r, k).lower() in ("1", "checked"))
                else:
                    src = by_record.get(a, {}).get(rec)
                    if src is None or not src.get(b):
                        ctx.problem(tname, line, rid, "error",
                                    f"record {rec}, event {ev}: no {a} row gives its "
                                    f"{b}; row left out", rec)
                        complete = False
                        break
                    row[column] = src[b]
            if complete:
                result.append(row)
                result.lines.append(line)
                by_record.setdefault(tname, {}).setdefault(rec, row)
        out[tname] = result
    manifest: dict[str, Any] = {}
    mf = folder / "manifest.json"
    if mf.is_file():
        try:
            manifest = json.loads(mf.read_text(encoding="utf-8"))
        except ValueError:
            ctx.problem("manifest", None, "", "warning", "manifest.json is not valid JSON; ignored")
    return out, ctx.problems, manifest


def write_contract(tables: dict[str, list[dict[str, str]]], manifest: dict[str, Any],
                   out: Path) -> None:
    """Write converted tables as a contract export folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLE_ORDER:
        if name not in tables:
            continue
        cols = TABLES[name].names
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            for row in tables[name]:
                w.writerow([row.get(c, "") for c in cols])
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
