"""Variants of a raw REDCap folder, as REDCap would write the same project otherwise.

Stand-ins of this project's own making (no REDCap server is reachable here):
each rewrites the bundled sample's REDCap form into the form a real project
or a different export choice gives (API dictionary, labels export, classic
project, another record ID name, decimal commas, an extra event, survey
timestamps), so that round-trip tests can ask for exactly the sample's
figures. ``docs/redcap.md`` says which export choice each one stands for.
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

from rfa_dash.ingest.redcap.project import WEB_TO_API, parse_choices

RECORDS = "redcap_records.csv"
DICTIONARY = "redcap_data_dictionary.csv"
MAPPING = "redcap_mapping.toml"


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _toml_value(v: object) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_mapping(path: Path, doc: dict) -> None:
    """A mapping document as TOML (the subset mappings use)."""
    out = []
    if doc.get("redcap"):
        out.append("[redcap]")
        out += [f"{k} = {_toml_value(v)}" for k, v in doc["redcap"].items()]
    for name, cfg in doc["tables"].items():
        out.append(f"\n[tables.{name}]")
        out += [f"{k} = {_toml_value(v)}" for k, v in cfg.items() if k != "fields"]
        out.append(f"[tables.{name}.fields]")
        out += [f"{k} = {_toml_value(v)}" for k, v in cfg["fields"].items()]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def mapping(folder: Path) -> dict:
    return tomllib.loads((folder / MAPPING).read_text(encoding="utf-8"))


# -- the data dictionary as the API writes it
def api_dictionary(folder: Path) -> None:
    header, rows = read(folder / DICTIONARY)
    api = [WEB_TO_API.get(re.sub(r"\s+", " ", h.strip().lower()),
                          re.sub(r"[^a-z]+", "_", h.lower()).strip("_")) for h in header]
    (folder / DICTIONARY).unlink()
    write(folder / "metadata.csv", api, rows)


# -- a record ID field named otherwise (and named by the dictionary only)
def rename_record_id(folder: Path, new: str = "study_id") -> None:
    header, rows = read(folder / RECORDS)
    write(folder / RECORDS, [new if h == "record_id" else h for h in header], rows)
    dh, drows = read(folder / DICTIONARY)
    drows[0][0] = new
    write(folder / DICTIONARY, dh, drows)
    doc = mapping(folder)
    doc.pop("redcap", None)
    for cfg in doc["tables"].values():
        cfg["fields"] = {k: (new if v == "record_id" else v) for k, v in cfg["fields"].items()}
    write_mapping(folder / MAPPING, doc)


# -- numbers with a decimal comma, as a project with number_comma_decimal fields has them
def decimal_commas(folder: Path) -> list[str]:
    dh, drows = read(folder / DICTIONARY)
    fields = [r[0] for r in drows if r[7] == "number"]
    for r in drows:
        if r[0] in fields:
            r[7] = "number_comma_decimal"
    write(folder / DICTIONARY, dh, drows)
    header, rows = read(folder / RECORDS)
    cols = [header.index(f) for f in fields if f in header]
    for r in rows:
        for i in cols:
            r[i] = r[i].replace(".", ",")
    write(folder / RECORDS, header, rows)
    return fields


# -- "CSV (labels)": labels for values and header, event labels, with the events CSV
def _base(event: str) -> str:
    return re.sub(r"_arm_\d+$", "", event)


def _title(name: str) -> str:
    return name.replace("_", " ").title()


def labels(folder: Path, events_csv: bool = True) -> None:
    dh, drows = read(folder / DICTIONARY)
    fields = {r[0]: r for r in drows}
    header, rows = read(folder / RECORDS)
    ev = header.index("redcap_event_name") if "redcap_event_name" in header else None
    events = sorted({r[ev] for r in rows}) if ev is not None else []
    # the project's every event, as REDCap's events CSV lists them, with or without rows
    for cfg in mapping(folder)["tables"].values():
        named = [cfg["event"]] if "event" in cfg else list(
            cfg["fields"].get("visit_month", {}).get("from_event", {}))
        events += [f"{e}_arm_1" for e in named if f"{e}_arm_1" not in events]
    arm_name = "Single arm"
    event_label = {e: f"{_title(_base(e))} (Arm 1: {arm_name})" for e in events}
    out_header = []
    for h in header:
        base, _, code = h.partition("___")
        if h in fields:
            out_header.append(fields[h][4])
        elif code and base in fields:
            out_header.append(f"{fields[base][4]} (choice={parse_choices(fields[base][5])[code]})")
        else:
            out_header.append({"redcap_event_name": "Event Name",
                               "redcap_repeat_instrument": "Repeat Instrument",
                               "redcap_repeat_instance": "Repeat Instance"}.get(h, h))
    out = []
    for r in rows:
        new = list(r)
        for i, h in enumerate(header):
            v = r[i]
            base, _, code = h.partition("___")
            if h == "redcap_event_name":
                new[i] = event_label[v]
            elif h == "redcap_repeat_instrument" and v:
                new[i] = _title(v)
            elif code and base in fields:
                new[i] = {"1": "Checked", "0": "Unchecked"}.get(v, v)
            elif h in fields and v:
                ftype = fields[h][3]
                if ftype in ("radio", "dropdown"):
                    new[i] = parse_choices(fields[h][5])[v]
                elif ftype == "yesno":
                    new[i] = {"1": "Yes", "0": "No"}[v]
        out.append(new)
    write(folder / RECORDS, out_header, out)
    if events_csv and events:
        write(folder / "redcap_events.csv",
              ["event_name", "arm_num", "unique_event_name", "custom_event_label", "event_id"],
              [[_title(_base(e)), "1", e, "", str(100 + i)]
               for i, e in enumerate(events)])
        write(folder / "redcap_arms.csv", ["arm_num", "name"], [["1", arm_name]])


# -- a classic project: no events; follow-up visits a repeating instrument
def classic(folder: Path) -> None:
    header, rows = read(folder / RECORDS)
    ev, rep, inst = (header.index(c) for c in ("redcap_event_name", "redcap_repeat_instrument",
                                               "redcap_repeat_instance"))
    doc = mapping(folder)
    by_month = {f"{k}_arm_1": str(v) for k, v in
                doc["tables"]["visits"]["fields"]["visit_month"]["from_event"].items()}
    out_header = [h for h in header if h != "redcap_event_name"] + ["fu_month"]
    merged: dict[str, list[str]] = {}
    repeated: list[list[str]] = []
    visit_n: dict[str, int] = {}
    for r in rows:
        rec = r[0]
        body = [v for i, v in enumerate(r) if i != ev] + [""]
        if r[ev] in by_month:
            visit_n[rec] = visit_n.get(rec, 0) + 1
            body[rep - 1], body[inst - 1] = "follow_up", str(visit_n[rec])
            body[-1] = by_month[r[ev]]
            repeated.append(body)
        elif r[rep]:
            repeated.append(body)
        else:   # the record's one non-repeating row gathers every non-repeating form
            row = merged.setdefault(rec, [rec] + [""] * (len(body) - 1))
            for i, v in enumerate(body):
                if v:
                    row[i] = v
    out = []
    for rec, row in merged.items():
        out.append(row)
        out += [r for r in repeated if r[0] == rec]
    write(folder / RECORDS, out_header, out)
    dh, drows = read(folder / DICTIONARY)
    drows.append(["fu_month", "follow_up", "", "text", "Visit month", "", "", "integer"]
                 + [""] * 10)
    write(folder / DICTIONARY, dh, drows)
    for cfg in doc["tables"].values():
        cfg.pop("event", None)
        cfg.setdefault("repeat_instrument", "")
    doc["tables"]["visits"]["repeat_instrument"] = "follow_up"
    doc["tables"]["visits"]["fields"]["visit_month"] = "fu_month"
    doc["tables"]["randomization"]["required_field"] = "rand_pid"
    write_mapping(folder / MAPPING, doc)


# -- an event no contract table uses, with data in it
def extra_event(folder: Path, name: str = "unscheduled_arm_1") -> int:
    header, rows = read(folder / RECORDS)
    ev, pain = header.index("redcap_event_name"), header.index("fu_pain")
    extra = []
    for r in rows:
        if r[ev] == "month_1_arm_1":
            new = [""] * len(header)
            new[0], new[ev], new[pain] = r[0], name, "9"
            extra.append(new)
    write(folder / RECORDS, header, rows + extra)
    return len(extra)


# -- the consent date as the timestamp of a consent survey
def survey_consent(folder: Path) -> None:
    header, rows = read(folder / RECORDS)
    i = header.index("consent_date")
    ev = header.index("redcap_event_name")
    header[i] = "consent_timestamp"
    for r in rows:
        if r[ev] == "screening_arm_1":
            r[i] = f"{r[i]} 10:15:42" if r[i] else "[not completed]"
    write(folder / RECORDS, header, rows)
    dh, drows = read(folder / DICTIONARY)
    for r in drows:
        if r[0] == "consent_yn":
            r[1] = "consent"   # the consent form, a survey: its timestamp column
    write(folder / DICTIONARY, dh, [r for r in drows if r[0] != "consent_date"])
    doc = mapping(folder)
    doc["tables"]["screening"]["fields"]["consent_date"] = "consent_timestamp"
    write_mapping(folder / MAPPING, doc)
