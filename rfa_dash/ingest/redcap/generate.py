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
from typing import Any

from rfa_dash.contract import TABLES
from rfa_dash.ingest.redcap.importer import DEFAULT_MAPPING, load_mapping

VERTEBRAE = ([f"C{i}" for i in range(1, 8)] + [f"T{i}" for i in range(1, 13)]
             + [f"L{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 6)])
FORMS = {"screening": "screening", "randomization": "randomization", "visits": "follow_up",
         "sre_events": "sre", "offstudy": "off_study", "adverse_events": "adverse_event"}
DICT_HEADER = ["Variable / Field Name", "Form Name", "Section Header", "Field Type",
               "Field Label", "Choices, Calculations, OR Slider Labels", "Field Note",
               "Text Validation Type OR Show Slider Number", "Text Validation Min",
               "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
               "Required Field?", "Custom Alignment", "Question Number (surveys only)",
               "Matrix Group Name", "Matrix Ranking?", "Field Annotation"]
BOOL_TRUE = {"true", "yes", "y", "1"}
BOOL_FALSE = {"false", "no", "n", "0"}


def _dictionary(mapping: dict[str, Any]) -> tuple[list[list[str]], list[str]]:
    rid = mapping["redcap"]["record_id"]
    rows = [[rid, "screening", "", "text", "Screening log number"] + [""] * 13]
    columns = [rid, "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    for tname, cfg in mapping["tables"].items():
        form = FORMS[tname]
        for column, spec in cfg["fields"].items():
            kind = TABLES[tname].column(column).kind if column in TABLES[tname].names else "text"
            if isinstance(spec, str):
                if spec == rid:
                    continue
                ftype, choices, valid = ("yesno", "", "") if kind == "bool" else (
                    "text", "", {"date": "date_ymd", "int": "integer", "num": "number"}
                    .get(kind, ""))
                name = spec
            elif "field" in spec:
                name, ftype, valid = spec["field"], "radio", ""
                choices = " | ".join(f"{c}, {v}" for c, v in spec["values"].items())
            elif "checkbox" in spec:
                name, ftype, valid = spec["checkbox"], "checkbox", ""
                choices = " | ".join(f"{i}, {v}" for i, v in enumerate(VERTEBRAE, 1))
            else:
                continue
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
    rid = mapping["redcap"]["record_id"]
    tables = {}
    for t in FORMS:
        with (Path(export) / f"{t}.csv").open(newline="", encoding="utf-8") as f:
            tables[t] = list(csv.DictReader(f))
    dict_rows, columns = _dictionary(mapping)
    record_of = {r["participant_id"]: r["screening_id"] for r in tables["randomization"]}
    records: list[dict[str, str]] = []

    def raw(tname: str, column: str, spec: Any, value: str) -> str:
        kind = TABLES[tname].column(column).kind
        if isinstance(spec, dict) and "field" in spec:
            inverse = {str(v): str(c) for c, v in spec["values"].items()}
            return inverse.get(value, value)
        if kind == "bool" and value.lower() in BOOL_TRUE:
            return "1"
        if kind == "bool" and value.lower() in BOOL_FALSE:
            return "0"
        return value

    for tname, cfg in mapping["tables"].items():
        events = cfg.get("events")
        instance: dict[str, int] = {}
        for row in tables[tname]:
            rec = row["screening_id"] if tname in ("screening", "randomization") \
                else record_of[row["participant_id"]]
            out_row = {rid: rec}
            if events:
                out_row["redcap_event_name"] = next(e for e, m in events.items()
                                                    if str(m) == row["visit_month"])
            else:
                out_row["redcap_event_name"] = cfg["event"]
            rep = cfg.get("repeat_instrument")
            if rep:
                instance[rec] = instance.get(rec, 0) + 1
                out_row["redcap_repeat_instrument"] = rep
                out_row["redcap_repeat_instance"] = str(instance[rec])
            for column, spec in cfg["fields"].items():
                if isinstance(spec, dict) and "from_record" in spec:
                    continue
                if isinstance(spec, dict) and "checkbox" in spec:
                    levels = [x.strip().upper() for x in row[column].split(";") if x.strip()]
                    for i, v in enumerate(VERTEBRAE, 1):
                        out_row[f"{spec['checkbox']}___{i}"] = "1" if v in levels else "0"
                    continue
                name = spec if isinstance(spec, str) else spec["field"]
                if name == rid:
                    continue
                out_row[name] = raw(tname, column, spec, row[column])
            records.append(out_row)
    event_order = ["screening_arm_1", "randomization_arm_1"] + list(
        mapping["tables"]["visits"]["events"]) + ["events_arm_1"]
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
    manifest = json.loads((Path(export) / "manifest.json").read_text(encoding="utf-8"))
    manifest["note"] = (manifest.get("note", "") + " REDCap form of the bundled sample.").strip()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
