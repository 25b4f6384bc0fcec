"""Write a contract export as a REDCap project export (records CSV + data dictionary).

The inverse of :mod:`rfa_dash.ingest.redcap.importer` under the same mapping: it
builds the bundled synthetic REDCap sample (``sample_data/redcap/``) and the
round-trip tests. Raw codes throughout, as REDCap's "raw" CSV export writes them.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from rfa_dash.contract import TABLES
from rfa_dash.ingest.problems import Problem
from rfa_dash.ingest.redcap.mapping import (
    DEFAULT_MAPPING,
    FieldSpec,
    Mapping,
    RedcapError,
    event_arm,
    load_mapping,
)

VERTEBRAE = ([f"C{i}" for i in range(1, 8)] + [f"T{i}" for i in range(1, 13)]
             + [f"L{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 6)])
FORMS = {"screening": "screening", "randomization": "randomization", "visits": "follow_up",
         "sre_events": "sre", "offstudy": "off_study", "adverse_events": "adverse_event",
         "deviations": "deviation"}
DICT_HEADER = ["Variable / Field Name", "Form Name", "Section Header", "Field Type",
               "Field Label", "Choices, Calculations, OR Slider Labels", "Field Note",
               "Text Validation Type OR Show Slider Number", "Text Validation Min",
               "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
               "Required Field?", "Custom Alignment", "Question Number (surveys only)",
               "Matrix Group Name", "Matrix Ranking?", "Field Annotation"]
BOOL_TRUE = {"true", "yes", "y", "1"}
BOOL_FALSE = {"false", "no", "n", "0"}


def read_export(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Each table of a contract export (CSV, Parquet or Excel) as rows of text.

    A missing optional table has no rows; a missing folder, a missing required
    table or an unreadable file raises :class:`RedcapError` with one line.
    """
    from rfa_dash import db
    from rfa_dash.ingest.loader import find_files, load_table

    if not folder.is_dir():
        raise RedcapError(f"export folder not found: {folder}")
    found = find_files(folder)
    con = db.hardened_connection(None)
    out: dict[str, list[dict[str, str]]] = {}
    try:
        for t in FORMS:
            problems: list[Problem] = []
            info = load_table(TABLES[t], found[t], problems, lambda: con)
            errors = [p for p in problems if p.severity == "error" and p.line is None]
            if errors:
                raise RedcapError(f"{t}: {errors[0].message}")
            rows = info["data"].to_pylist()
            out[t] = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in rows]
    finally:
        con.close()
    return out


def _event(name: str) -> str:
    """A mapping's event name as the unique event name of the (one-arm) sample project."""
    return name if event_arm(name) else name + "_arm_1"


def _dictionary(mapping: Mapping) -> tuple[list[list[str]], list[str]]:
    rid = mapping.record_id or "record_id"
    rows = [[rid, "screening", "", "text", "Screening log number"] + [""] * 13]
    columns = [rid, "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    for tname, tm in mapping.tables.items():
        form = FORMS[tname]
        for spec in tm.fields:
            column = spec.column
            kind = TABLES[tname].column(column).kind
            if spec.kind == "field" and spec.values is None:
                if spec.source == rid:
                    continue
                ftype, choices, valid = ("yesno", "", "") if kind == "bool" else (
                    "text", "", {"date": "date_ymd", "int": "integer", "num": "number"}
                    .get(kind, ""))
            elif spec.kind == "field":
                ftype, valid = "radio", ""
                choices = " | ".join(f"{c}, {v}" for c, v in (spec.values or {}).items())
            elif spec.kind == "checkbox":
                ftype, valid = "checkbox", ""
                choices = " | ".join(f"{i}, {v}" for i, v in enumerate(VERTEBRAE, 1))
            else:
                continue
            name = spec.source
            rows.append([name, form, "", ftype, column.replace("_", " ").capitalize(), choices,
                         "", valid] + [""] * 10)
            if ftype == "checkbox":
                columns += [f"{name}___{i}" for i in range(1, len(VERTEBRAE) + 1)]
            elif name not in columns:
                columns.append(name)
    return rows, columns


def to_redcap(export: Path, out: Path, mapping_path: Path | None = None) -> None:
    """Write the contract export in ``export`` as a REDCap export folder ``out``."""
    mapping = load_mapping(mapping_path)
    rid = mapping.record_id or "record_id"
    tables = read_export(Path(export))
    dict_rows, columns = _dictionary(mapping)
    record_of = {r["participant_id"]: r["screening_id"] for r in tables["randomization"]}
    for t in FORMS:
        if t in ("screening", "randomization"):
            continue
        for row in tables[t]:
            if row["participant_id"] not in record_of:
                raise RedcapError(f"{t} line {row['_line']}: participant_id "
                                  f"{row['participant_id']!r} is not in randomization; run "
                                  "check and correct the export first")
    records: list[dict[str, str]] = []

    def raw(tname: str, spec: FieldSpec, value: str) -> str:
        kind = TABLES[tname].column(spec.column).kind
        if spec.values is not None:
            inverse = {v: c for c, v in spec.values.items()}
            return inverse.get(value, value)
        if kind == "bool" and value.lower() in BOOL_TRUE:
            return "1"
        if kind == "bool" and value.lower() in BOOL_FALSE:
            return "0"
        return value

    event_order: list[str] = []
    for tname, tm in mapping.tables.items():
        by_month = next(({v: _event(e) for e, v in (f.values or {}).items()}
                         for f in tm.fields if f.kind == "from_event"), None)
        for e in by_month.values() if by_month else [_event(e) for e in tm.events or ()]:
            if e not in event_order:
                event_order.append(e)
        instance: dict[str, int] = {}
        for row in tables[tname]:
            rec = row["screening_id"] if tname in ("screening", "randomization") \
                else record_of[row["participant_id"]]
            out_row = {rid: rec}
            out_row["redcap_event_name"] = (by_month[row["visit_month"]] if by_month
                                            else _event((tm.events or ("",))[0]))
            rep = tm.repeat_instrument
            if rep:
                instance[rec] = instance.get(rec, 0) + 1
                out_row["redcap_repeat_instrument"] = rep
                out_row["redcap_repeat_instance"] = str(instance[rec])
            for spec in tm.fields:
                if spec.kind in ("from_record", "from_event", "from_arm"):
                    continue
                if spec.kind == "checkbox":
                    levels = [x.strip().upper() for x in row[spec.column].split(";")
                              if x.strip()]
                    for i, v in enumerate(VERTEBRAE, 1):
                        out_row[f"{spec.source}___{i}"] = "1" if v in levels else "0"
                    continue
                if spec.source == rid:
                    continue
                out_row[spec.source] = raw(tname, spec, row[spec.column])
            records.append(out_row)
    records.sort(key=lambda r: (r[rid], event_order.index(r["redcap_event_name"]),
                                r.get("redcap_repeat_instrument", ""),
                                int(r.get("redcap_repeat_instance") or 0)))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "redcap_records.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in records:
            w.writerow([r.get(c, "") for c in columns])
    with (out / "redcap_data_dictionary.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(DICT_HEADER)
        w.writerows(dict_rows)
    shutil.copyfile(mapping_path or DEFAULT_MAPPING, out / "redcap_mapping.toml")
    mf = Path(export) / "manifest.json"
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8")) if mf.is_file() else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    manifest["note"] = (manifest.get("note", "") + " REDCap form of the bundled sample.").strip()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
