"""A REDCap folder's files and metadata: which CSV is which, the data dictionary, events.

A REDCap folder holds the records CSV, the data dictionary CSV (either the
form the web page downloads, first column "Variable / Field Name", or the form
the API and PyCap/REDCapR write, first column ``field_name``), optionally the
events and arms CSVs and the instrument-event mapping REDCap writes, a mapping
TOML and a ``manifest.json``. Files are recognized by their header row, never
by their names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from rfa_dash.ingest.loader import files_digest
from rfa_dash.ingest.redcap.mapping import DEFAULT_MAPPING, Mapping, RedcapError, load_mapping

# the two dictionary forms: web download header -> API name
WEB_TO_API = {
    "variable / field name": "field_name", "form name": "form_name",
    "field type": "field_type", "field label": "field_label",
    "choices, calculations, or slider labels": "select_choices_or_calculations",
    "text validation type or show slider number": "text_validation_type_or_show_slider_number",
}
CODED_TYPES = ("radio", "dropdown", "checkbox")
IMPLICIT_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}
COMPLETE_CHOICES = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
LOOKED_FOR = ("a records CSV (first column the record ID field)",
              "a data dictionary CSV (first column \"Variable / Field Name\" or field_name)")


@dataclass
class DictField:
    """One field of the data dictionary. ``choices``: raw code -> label (coded fields)."""

    name: str
    form: str
    ftype: str
    label: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    validation: str = ""


@dataclass
class Event:
    unique: str      # unique event name, e.g. enrollment_arm_1
    label: str       # event name, e.g. Enrollment
    arm: str         # arm number
    arm_name: str = ""


@dataclass
class Project:
    """What a REDCap folder holds; ``events`` empty when no events CSV is there."""

    folder: Path
    records: Path
    dictionary_file: Path
    dictionary: dict[str, DictField]
    record_id: str
    mapping: Mapping
    events: list[Event] = field(default_factory=list)
    # an ODM XML file read as this project: the file, and the XML line of each records row
    source: Path | None = None
    source_lines: list[int] | None = None
    notes: list[str] = field(default_factory=list)   # info lines on how it was read
    system: str = "REDCap"   # whose fields they are, for messages ("ODM": OpenClinica...)

    def field_of(self, column: str) -> DictField | None:
        """The dictionary field behind a records column (``_complete`` and timestamps too)."""
        d = self.dictionary.get(column)
        if d is not None:
            return d
        base, sep, code = column.partition("___")
        box = self.dictionary.get(base) if sep else None
        if box is not None and box.ftype == "checkbox":
            return DictField(column, box.form, "checkbox_choice", box.label,
                             {"1": "Checked", "0": "Unchecked"})
        for suffix, ftype in (("_complete", "complete"), ("_timestamp", "timestamp")):
            if column.endswith(suffix):
                form = column[: -len(suffix)]
                if any(f.form == form for f in self.dictionary.values()):
                    if ftype == "complete":
                        return DictField(column, form, "radio", "Complete?",
                                         dict(COMPLETE_CHOICES))
                    return DictField(column, form, "timestamp", "Survey Timestamp", {},
                                     "datetime_seconds_ymd")
        return None


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return [h.strip() for h in next(csv.reader(f), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _norm(h: str) -> str:
    return re.sub(r"\s+", " ", h.strip().lower())


def dictionary_kind(header: list[str]) -> str | None:
    """"web" or "api" when ``header`` is a data dictionary's header row, else None."""
    low = [_norm(h) for h in header]
    if low and low[0] == "variable / field name":
        return "web"
    if low and low[0] == "field_name" and {"form_name", "field_type"} <= set(low):
        return "api"
    return None


def parse_choices(text: str) -> dict[str, str]:
    """REDCap's "1, Female | 2, Male" as {"1": "Female", "2": "Male"}."""
    out = {}
    for part in (text or "").split("|"):
        if "," in part:
            code, label = part.split(",", 1)
            out[code.strip()] = label.strip()
    return out


def read_dictionary(path: Path) -> dict[str, DictField]:
    """The data dictionary in either form, by field name in file order."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or dictionary_kind(rows[0]) is None:
        raise RedcapError(f"{path.name} is not a REDCap data dictionary")
    names = [WEB_TO_API.get(_norm(h), _norm(h)) for h in rows[0]]
    # the API form as R writes it (REDCapR's test files) has NA for empty cells
    na = {"NA"} if dictionary_kind(rows[0]) == "api" else set()
    out: dict[str, DictField] = {}
    for r in rows[1:]:
        cell = {n: ("" if v.strip() in na else v.strip()) for n, v in zip(names, r, strict=False)}
        name = cell.get("field_name", "")
        if not name:
            continue
        ftype = cell.get("field_type", "").lower()
        choices = (parse_choices(cell.get("select_choices_or_calculations", ""))
                   if ftype in CODED_TYPES else dict(IMPLICIT_CHOICES.get(ftype, {})))
        out[name] = DictField(name, cell.get("form_name", ""), ftype,
                              cell.get("field_label", ""), choices,
                              cell.get("text_validation_type_or_show_slider_number", "").lower())
    if not out:
        raise RedcapError(f"{path.name}: the data dictionary lists no field")
    return out


def _read_events(events: Path, arms: Path | None) -> list[Event]:
    with events.open(newline="", encoding="utf-8-sig") as f:
        ev_rows = list(csv.DictReader(f))
    arm_names: dict[str, str] = {}
    if arms is not None:
        with arms.open(newline="", encoding="utf-8-sig") as f:
            arm_names = {r.get("arm_num", "").strip(): r.get("name", "").strip()
                         for r in csv.DictReader(f)}
    return [Event(r["unique_event_name"].strip(), (r.get("event_name") or "").strip(),
                  (r.get("arm_num") or "").strip(),
                  arm_names.get((r.get("arm_num") or "").strip(), ""))
            for r in ev_rows if (r.get("unique_event_name") or "").strip()]


def classify(folder: Path) -> dict[str, list[Path]]:
    """The folder's CSV files by what their header says they are."""
    kinds: dict[str, list[Path]] = {"dictionary": [], "events": [], "arms": [],
                                    "form_events": [], "other": []}
    for p in sorted(Path(folder).iterdir(), key=lambda p: p.name):
        if p.suffix.lower() != ".csv" or not p.is_file():
            continue
        header = _header(p)
        low = {_norm(h) for h in header}
        if dictionary_kind(header):
            kinds["dictionary"].append(p)
        elif {"unique_event_name", "arm_num", "form"} <= low:
            kinds["form_events"].append(p)
        elif {"unique_event_name", "arm_num"} <= low:
            kinds["events"].append(p)
        elif low == {"arm_num", "name"}:
            kinds["arms"].append(p)
        else:
            kinds["other"].append(p)
    return kinds


def own_mapping(folder: Path) -> Path | None:
    """The folder's own mapping TOML (the first by name), or None."""
    tomls = sorted(p for p in Path(folder).glob("*.toml") if p.is_file())
    return tomls[0] if tomls else None


def _records_file(candidates: list[Path], dictionary: dict[str, DictField], rid: str
                  ) -> Path | None:
    first_label = dictionary[next(iter(dictionary))].label if dictionary else ""
    hits = []
    for p in candidates:
        header = _header(p)
        if header and (header[0] == rid or (header[0] and header[0] == first_label)):
            hits.append(p)
    if len(hits) > 1:
        raise RedcapError("more than one records CSV: " + ", ".join(p.name for p in hits))
    return hits[0] if hits else None


def open_project(folder: Path, mapping_path: Path | None = None) -> Project | None:
    """The REDCap project in ``folder``, or None when the folder is not a REDCap folder.

    Raises
    ------
    RedcapError
        It is a REDCap folder, but its mapping or metadata cannot be used.
    """
    folder = Path(folder)
    kinds = classify(folder)
    if not kinds["dictionary"]:
        return _open_odm(folder, mapping_path)
    if len(kinds["dictionary"]) > 1:
        raise RedcapError("more than one data dictionary: "
                          + ", ".join(p.name for p in kinds["dictionary"]))
    dictionary = read_dictionary(kinds["dictionary"][0])
    mapping = load_mapping(mapping_path or own_mapping(folder))
    rid = mapping.record_id or next(iter(dictionary))
    records = _records_file(kinds["other"], dictionary, rid)
    events = (_read_events(kinds["events"][0], kinds["arms"][0] if kinds["arms"] else None)
              if kinds["events"] else [])
    if records is None:
        from rfa_dash.ingest.redcap import odm_data

        found = odm_data.clinical_only(folder)
        if found is None:
            return None
        xml, root = found
        # REDCap's clinical data as ODM without metadata: read with this dictionary
        forms = {tm.repeat_instrument for tm in mapping.tables.values() if tm.repeat_instrument}
        # REDCap's record ID is the dictionary's first field (the mapping's record_id, if
        # another, is then reported as missing by the importer, as for a CSV export)
        records, lines, notes = odm_data.convert_clinical(
            xml, root, dictionary, next(iter(dictionary)), odm_data.repeating_csv(folder),
            forms)
        return Project(folder, records, kinds["dictionary"][0], dictionary, rid, mapping,
                       events, xml, lines, notes)
    return Project(folder, records, kinds["dictionary"][0], dictionary, rid, mapping, events)


def _open_odm(folder: Path, mapping_path: Path | None) -> Project | None:
    """The project of the folder's ODM XML file (REDCap's project XML, OpenClinica's
    export), or None when it has none: read through REDCap-form files (``odm.py``)."""
    from dataclasses import replace

    from rfa_dash.ingest.redcap import odm

    found = odm.odm_files(folder)
    if not found:
        return None
    conv = odm.convert(*found)   # one file, or the metadata and the data written apart
    xml = conv.source
    kinds = classify(conv.folder)
    dictionary = read_dictionary(kinds["dictionary"][0])
    mapping = load_mapping(mapping_path or own_mapping(folder))

    def event(name: str) -> str:   # a StudyEventOID stands for its event
        return conv.event_names.get(name, name)

    tables = {n: replace(tm, events=tuple(event(e) for e in tm.events)
                         if tm.events is not None else None,
                         repeat_instrument=conv.form_names.get(tm.repeat_instrument or "",
                                                               tm.repeat_instrument))
              for n, tm in mapping.tables.items()}
    mapping = replace(mapping, tables=tables,
                      ignore_events=tuple(event(e) for e in mapping.ignore_events))
    rid = mapping.record_id or next(iter(dictionary))
    events = (_read_events(kinds["events"][0], kinds["arms"][0] if kinds["arms"] else None)
              if kinds["events"] else [])
    records = conv.folder / "records.csv"
    return Project(folder, records, xml, dictionary, rid, mapping, events, xml, conv.lines,
                   system=conv.system)


# what a folder may hold instead of the CSV files, and what to export in its place
OTHER_FORMS = {".xml": "XML that is not a CDISC ODM 1.3 file (REDCap's project XML and "
                       "OpenClinica's ODM exports are read; this one is not ODM)",
               ".json": "JSON, as the API gives with format=json (not read: export with "
                        "format=csv, or use fetch-redcap)"}


def describe(folder: Path) -> str:
    """Why ``folder`` is not a REDCap project export, in words for a one-line message: what
    it holds instead, or which mapping was tried and how to write one."""
    kinds = classify(folder)
    if not kinds["dictionary"]:
        found = [f"{p.name}: {OTHER_FORMS[p.suffix.lower()]}"
                 for p in sorted(Path(folder).iterdir())
                 if p.is_file() and p.suffix.lower() in OTHER_FORMS]
        return ("no data dictionary CSV (first column \"Variable / Field Name\" or field_name)"
                + ("; found " + "; ".join(found[:3]) if found else ""))
    try:
        dictionary = read_dictionary(kinds["dictionary"][0])
        own = own_mapping(folder)
        mapping = load_mapping(own)
    except RedcapError as exc:
        return str(exc)
    rid = mapping.record_id or next(iter(dictionary))
    first = next(iter(dictionary))
    tried = (f"the mapping {own.name}" if own else
             f"no mapping TOML in the folder, so the reference trial's mapping "
             f"({DEFAULT_MAPPING.name}) was tried; `python -m rfa_dash redcap-mapping "
             f"{folder} --out {Path(folder) / 'mapping.toml'}` drafts one")
    hint = ("" if rid == first else
            f"; this project's record ID field is {first} (the dictionary's first field): "
            f"write a mapping with [redcap] record_id = \"{first}\" (docs/redcap.md)")
    return (f"a data dictionary ({kinds['dictionary'][0].name}) but no records CSV whose first "
            f"column is the record ID field {rid}; {tried}{hint}")


def is_redcap_folder(folder: Path) -> bool:
    """True when ``folder`` holds a REDCap records export and its data dictionary."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    try:
        if not classify(folder)["dictionary"]:
            from rfa_dash.ingest.redcap.odm import odm_file

            return odm_file(folder) is not None
        return open_project(folder) is not None
    except RedcapError:
        return True   # a REDCap folder with a problem: opening it reports the problem


def fingerprint(folder: Path) -> str:
    """SHA-256 over the names and bytes of the folder's CSV, TOML, JSON and XML files."""
    return files_digest([p for p in sorted(Path(folder).iterdir()) if p.is_file()
                         and p.suffix.lower() in (".csv", ".toml", ".json", ".xml")])
