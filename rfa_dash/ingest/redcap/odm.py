"""CDISC ODM 1.3 XML, read as a REDCap project: REDCap's project XML and OpenClinica's exports.

A folder holding one ODM file (metadata and clinical data in one XML file)
is read wherever a REDCap folder is: the file is turned into the files a
REDCap CSV export has (records, data dictionary, events, arms, the
instrument-event mapping) in a private temporary folder, and the same
importer, mapping language and checks run on them. Messages name lines of
the XML file: the line of the element a record's row came from (the study
event, form or item group).

How ODM's parts become REDCap's:

=====================  ==========================  ==============================
ODM                    REDCap project XML          OpenClinica (and other ODM)
=====================  ==========================  ==============================
record ID              ``redcap:RecordIdField``    ``subject_id``: the
                                                   ``OpenClinica:StudySubjectID``
                                                   (else the ``SubjectKey``)
event                  ``redcap:UniqueEventName``  the ``StudyEventOID``
instrument             ``redcap:FormName``         the ``FormOID``
field                  ``redcap:Variable``         the ``ItemOID``
choices                the ``CodeList``            the ``CodeList`` (a multi-select
                                                   list is a checkbox field)
repeating rows         repeating instruments and   a repeating item group (its
                       events (``FormRepeatKey``,  form is the repeat instrument,
                       ``StudyEventRepeatKey``)    its ``ItemGroupRepeatKey`` the
                                                   instance) or event
=====================  ==========================  ==============================

A mapping may name events by their ``StudyEventOID`` and instruments by their
``FormOID`` too (``Event.visit_1_arm_1``, ``Form.demographics``): they are
read as the REDCap names. A repeating item group inside a repeating event
numbers its rows ``event repeat x 1000 + group repeat``.

The XML is parsed without entities, DTDs or network access, and at most
:data:`MAX_BYTES`.
"""

from __future__ import annotations

import atexit
import csv
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rfa_dash.ingest.redcap.mapping import RedcapError
from rfa_dash.ingest.redcap.odm_xml import (
    MAX_BYTES,
    OC_NS,
    KeyedRows,
    RepeatKeys,
    item_values,
    odm_file,
    odm_files,
    parse,
    rc,
    tag,
)

__all__ = ["MAX_BYTES", "OC_FACTS", "Converted", "convert", "odm_file", "odm_files"]

OC_RECORD_ID = "subject_id"


def _text(el: Any) -> str:
    """A definition's label: its Question's (else Description's) first translated text."""
    if el is None:
        return ""
    for name in ("Question", "Description", "Decode"):
        q = el.find(tag(name))
        if q is not None:
            t = q.find(tag("TranslatedText"))
            if t is not None and t.text:
                return " ".join(t.text.split())
    return ""


@dataclass
class Converted:
    """The REDCap-form files of an ODM file, and where each records row came from."""

    folder: Path                  # the temporary folder with the CSV files
    source: Path                  # the XML file of the clinical data (its lines below)
    lines: list[int]              # XML line of records row i
    event_names: dict[str, str] = field(default_factory=dict)   # StudyEventOID -> name
    form_names: dict[str, str] = field(default_factory=dict)    # FormOID -> name
    # the project's repeat settings from the metadata: event name ("*": any) -> the
    # instruments repeating there, and the repeating events (for redcap-mapping)
    repeats: dict[str, set[str]] = field(default_factory=dict)
    repeating_events: set[str] = field(default_factory=set)
    system: str = "REDCap"   # whose export it is, for messages ("REDCap", or "ODM")


def convert(path: Path, other: Path | None = None) -> Converted:
    """Turn the ODM file ``path`` (with ``other``: the metadata and the clinical data in
    two files, either way round) into REDCap-form CSV files in a private temporary folder.

    Raises
    ------
    RedcapError
        Not well-formed, too large, not ODM, no metadata or no clinical data, clinical
        data of another study, a repeat key that is not a number, or data that would land
        on another's row (nothing is then read).
    """
    roots = [(p, parse(p)) for p in (path, other) if p is not None]
    for p, r in roots:
        if r.tag != tag("ODM"):
            raise RedcapError(f"{p.name}: the root element is not a CDISC ODM 1.3 <ODM>")
    with_meta = [(p, r) for p, r in roots if r.find(f"{tag('Study')}/{tag('MetaDataVersion')}")
                 is not None]
    with_data = [(p, r) for p, r in roots if r.find(tag("ClinicalData")) is not None]
    names = " and ".join(p.name for p, _ in roots)
    if not with_meta:
        raise RedcapError(f"{names}: no <Study>/<MetaDataVersion>: export the metadata "
                          "with the data, or put the metadata file (or, for REDCap, the "
                          "project's data dictionary CSV) beside it")
    if not with_data:
        raise RedcapError(f"{names}: no <ClinicalData>: this is the project's metadata "
                          "only; export the data too (one file, or a second file beside it)")
    if len(roots) == 2 and (len(with_meta) == 2 or len(with_data) == 2):
        raise RedcapError(f"{names}: two ODM files are read together only when one holds "
                          "the metadata and the other the clinical data")
    path, root = with_meta[0]
    data_path, data_root = with_data[0]
    study = root.find(tag("Study"))
    mdv = study.find(tag("MetaDataVersion"))
    clinical = data_root.findall(tag("ClinicalData"))
    # clinical data of another study is never read as this one's (OpenClinica writes a
    # Study per site, each site's ClinicalData naming its own)
    studies = {st.get("OID") for st in root.findall(tag("Study")) if st.get("OID")}
    for cd in clinical:
        if cd.get("StudyOID") and studies and cd.get("StudyOID") not in studies:
            raise RedcapError(
                f"{data_path.name}, line {cd.sourceline}: the clinical data are of study "
                f"{cd.get('StudyOID')!r}, the metadata of {', '.join(sorted(studies))}: "
                "not read")
    redcap = root.get("SourceSystem") == "REDCap" or mdv.get(rc("RecordIdField")) is not None
    oc = f"{{{OC_NS}}}"
    # OpenClinica's event and subject facts are columns only in OpenClinica's files (an
    # OpenEDC or Rave export has no such attributes: no columns that are always empty)
    is_oc = OC_NS in {*root.nsmap.values(), *data_root.nsmap.values()}

    # -- metadata
    code_lists: dict[str, dict[str, str]] = {}
    code_list_els = {cl.get("OID", ""): cl for cl in mdv.findall(tag("CodeList"))}
    for oid, cl in code_list_els.items():
        code_lists[oid] = {
            i.get("CodedValue", ""): _text(i) for i in cl.findall(tag("CodeListItem"))}
    for msl in mdv.iter(oc + "MultiSelectList"):
        code_lists["MSL:" + msl.get("ID", "")] = {
            i.get("CodedOptionValue", ""): _text(i) for i in msl.iter(oc + "MultiSelectListItem")}
    item_defs = {d.get("OID", ""): d for d in mdv.findall(tag("ItemDef"))}
    groups = {g.get("OID", ""): g for g in mdv.findall(tag("ItemGroupDef"))}
    # outside REDCap a repeating item group gives a row per repeat (REDCap's groups are
    # one per field and never repeat on their own)
    repeating_groups = set() if redcap else {oid for oid, g in groups.items()
                                             if g.get("Repeating") == "Yes"}
    forms = mdv.findall(tag("FormDef"))
    form_names = {f.get("OID", ""): (f.get(rc("FormName")) if redcap else None)
                  or f.get("OID", "") for f in forms}
    events = mdv.findall(tag("StudyEventDef"))
    event_names = {e.get("OID", ""): (e.get(rc("UniqueEventName")) if redcap else None)
                   or e.get("OID", "") for e in events}
    repeating_events = {e.get("OID", "") for e in events if e.get("Repeating") == "Yes"}
    # a REDCap instrument repeats in the events its RepeatingInstrument names (a classic
    # project, without events, names its one hidden event): event name -> instruments
    repeating_forms: dict[str, set[str]] = {}
    if redcap:
        for ri in root.iter(rc("RepeatingInstrument")):
            repeating_forms.setdefault(ri.get(rc("UniqueEventName"), "") if events else "",
                                       set()).add(ri.get(rc("RepeatInstrument"), ""))
        by_name = {v: k for k, v in event_names.items()}
        for rev in root.iter(rc("RepeatingEvent")):
            name = rev.get(rc("UniqueEventName"), "")
            repeating_events.add(by_name.get(name, "Event." + name))
    record_id = (mdv.get(rc("RecordIdField")) if redcap else None) or OC_RECORD_ID

    def var(item_oid: str) -> str:
        d = item_defs.get(item_oid)
        return (d.get(rc("Variable")) if redcap and d is not None else None) or item_oid

    # the dictionary: one row per field, in the forms' order (the record ID first)
    fields: dict[str, dict[str, str]] = {}
    checkbox_items: dict[str, tuple[str, str]] = {}   # OC multi-select item -> (field, list)
    if not redcap:
        fields[record_id] = {"field_name": record_id, "form_name": "subject",
                             "field_type": "text", "field_label": "Study subject ID"}
    for f in forms:
        form = form_names[f.get("OID", "")]
        for gref in f.findall(tag("ItemGroupRef")):
            g = groups.get(gref.get("ItemGroupOID", ""))
            for iref in g.findall(tag("ItemRef")) if g is not None else []:
                d = item_defs.get(iref.get("ItemOID", ""))
                if d is None:
                    continue
                name = var(d.get("OID", ""))
                if name in fields or name == f"{form}_complete":   # REDCap's own status
                    continue
                ftype = d.get(rc("FieldType")) if redcap else None
                choices = ""
                cref = d.find(tag("CodeListRef"))
                msl = d.find(oc + "MultiSelectListRef")
                if ftype == "checkbox":
                    cl = code_list_els.get(f"{d.get('OID')}.choices")
                    choices = cl.get(rc("CheckboxChoices"), "") if cl is not None else ""
                elif msl is not None:
                    ftype = "checkbox"
                    items = code_lists.get("MSL:" + msl.get("MultiSelectListID", ""), {})
                    choices = " | ".join(f"{k}, {v}" for k, v in items.items())
                    checkbox_items[d.get("OID", "")] = (name, "MSL")
                elif cref is not None:
                    items = code_lists.get(cref.get("CodeListOID", ""), {})
                    ftype = ftype or "radio"
                    if ftype not in ("yesno", "truefalse"):
                        choices = " | ".join(f"{k}, {v}" for k, v in items.items())
                dtype = d.get("DataType", "")
                validation = (d.get(rc("TextValidationType")) if redcap else None) or {
                    "date": "date_ymd", "integer": "integer", "float": "number",
                    "datetime": "datetime_ymd"}.get(dtype, "")
                fields[name] = {"field_name": name, "form_name": form,
                                "field_type": ftype or ("calc" if d.get(rc("Calculation"))
                                                        else "text"),
                                "field_label": (_text(d) or d.get("Comment", "")
                                                or d.get("Name", ""))[:200],
                                "select_choices_or_calculations": choices,
                                "text_validation_type_or_show_slider_number":
                                    validation.replace("int", "integer")
                                    if validation == "int" else validation}
    # REDCap writes each form's completion status as a field of its own
    complete = {f"{form_names[f.get('OID', '')]}_complete" for f in forms} if redcap else set()

    # -- clinical data
    rows = KeyedRows()
    keys = RepeatKeys(data_path)
    longitudinal = bool(events)
    # ODM's own FormDef Repeating="Yes" (OpenEDC, OpenClinica 4): the form repeats wherever
    # it is used; REDCap says per event (RepeatingInstrument), read above
    any_event = set() if redcap else {form_names[f.get("OID", "")] for f in forms
                                      if f.get("Repeating") == "Yes"}
    for cd in clinical:
        for subj in cd.findall(tag("SubjectData")):
            rid = (subj.get(oc + "StudySubjectID") or subj.get("SubjectKey", "")).strip()
            for ev in subj.findall(tag("StudyEventData")) or [subj]:
                ev_oid = ev.get("StudyEventOID", "")
                ev_name = (ev.get(rc("UniqueEventName")) or event_names.get(ev_oid, ev_oid)) \
                    if ev is not subj else ""
                ev_rep = keys.repeat(ev, "StudyEventRepeatKey", (rid, ev_oid)) \
                    if ev_oid in repeating_events else ""
                base = (rid, ev_name, "", ev_rep)
                if not redcap:   # ODM: the event's own row (OpenClinica: with its facts)
                    facts = _oc_facts(subj, ev if ev is not subj else None) if is_oc else {}
                    rows.put(base, ev.sourceline or subj.sourceline or 0,
                             {record_id: rid, **facts})
                in_event = repeating_forms.get(ev_name, set()) if longitudinal else \
                    repeating_forms.get("", set())
                for fd in ev.findall(tag("FormData")):
                    form = form_names.get(fd.get("FormOID", ""), fd.get("FormOID", ""))
                    key = base
                    if form in in_event or form in any_event:
                        key = (rid, ev_name, form, keys.repeat(
                            fd, "FormRepeatKey", (rid, ev_oid, ev_rep, form)))
                    for gd in fd.findall(tag("ItemGroupData")):
                        gkey = key
                        if gd.get("ItemGroupOID", "") in repeating_groups:
                            n = int(keys.repeat(gd, "ItemGroupRepeatKey",
                                                (*key, gd.get("ItemGroupOID", ""))))
                            outer = key[3] or ev_rep   # the form's repeat, else the event's
                            inst = str(int(outer) * 1000 + n) if outer else str(n)
                            gkey = (rid, ev_name, form, inst)
                        values: dict[str, str] = {record_id: rid}
                        for it, value in item_values(gd):
                            oid = it.get("ItemOID", "")
                            if oid in checkbox_items:
                                name = checkbox_items[oid][0]
                                ticked = {v.strip() for v in value.split(",") if v.strip()}
                                for code in _choice_codes(fields[name]):
                                    values[f"{name}___{code}"] = "1" if code in ticked else "0"
                            else:
                                values[oid] = value   # REDCap: the ItemOID is the column
                        rows.put(gkey, gd.sourceline or fd.sourceline or 0, values)
    rows.check(data_path)
    if is_oc:
        fields.update(OC_FACTS)
    conv = _write(data_path, fields, complete, rows, events, event_names, form_names,
                  longitudinal, record_id)
    conv.repeats = {k: set(v) for k, v in repeating_forms.items()}
    generic = any_event | {form_names[f.get("OID", "")] for f in forms
                           if any(g.get("ItemGroupOID", "") in repeating_groups
                                  for g in f.findall(tag("ItemGroupRef")))}
    if generic:
        conv.repeats["*"] = generic
    conv.repeating_events = {event_names.get(e, e) for e in repeating_events}
    conv.system = "REDCap" if redcap else "ODM"
    return conv


# OpenClinica's facts of an event and a subject, as fields of the event's own row, so that a
# mapping can take a visit's date and status, or an off-study date, from them
OC_FACTS = {
    "oc_event_start_date": {"field_name": "oc_event_start_date", "form_name": "event",
                            "field_type": "text", "field_label": "Event start date "
                            "(OpenClinica:StartDate)",
                            "text_validation_type_or_show_slider_number": "date_ymd"},
    "oc_event_end_date": {"field_name": "oc_event_end_date", "form_name": "event",
                          "field_type": "text", "field_label": "Event end date "
                          "(OpenClinica:EndDate)",
                          "text_validation_type_or_show_slider_number": "date_ymd"},
    "oc_event_status": {"field_name": "oc_event_status", "form_name": "event",
                        "field_type": "text", "field_label": "Event status "
                        "(OpenClinica:Status: scheduled, data entry started, completed, "
                        "stopped, skipped, signed, locked)"},
    "oc_subject_status": {"field_name": "oc_subject_status", "form_name": "event",
                          "field_type": "text", "field_label": "Subject status "
                          "(OpenClinica:Status: available, signed, removed, ...)"},
}


def _oc_facts(subj: Any, ev: Any | None) -> dict[str, str]:
    oc = f"{{{OC_NS}}}"
    out = {"oc_subject_status": subj.get(oc + "Status", "")}
    if ev is not None:
        out |= {"oc_event_start_date": ev.get(oc + "StartDate", "")[:10],
                "oc_event_end_date": ev.get(oc + "EndDate", "")[:10],
                "oc_event_status": ev.get(oc + "Status", "")}
    return out


def _choice_codes(d: dict[str, str]) -> list[str]:
    return [c.split(",", 1)[0].strip() for c in d.get("select_choices_or_calculations",
                                                        "").split("|") if c.strip()]


def _write(path: Path, fields: dict[str, dict[str, str]], complete: set[str], rows: KeyedRows,
           events: list[Any], event_names: dict[str, str], form_names: dict[str, str],
           longitudinal: bool, record_id: str) -> Converted:
    out = Path(tempfile.mkdtemp(prefix="rfa_odm_"))
    atexit.register(shutil.rmtree, out, True)
    dict_cols = ["field_name", "form_name", "field_type", "field_label",
                 "select_choices_or_calculations", "text_validation_type_or_show_slider_number"]
    with (out / "dictionary.csv").open("w", newline="", encoding="utf-8") as f:
        dw = csv.DictWriter(f, dict_cols, restval="")
        dw.writeheader()
        # the record ID first: REDCap's dictionary leads with it
        dw.writerows(sorted(fields.values(), key=lambda d: d["field_name"] != record_id))
    columns = [record_id] + (["redcap_event_name"] if longitudinal else []) + \
        ["redcap_repeat_instrument", "redcap_repeat_instance"]
    seen = dict.fromkeys(columns)
    # every field the metadata defines is a column, filled in or not yet (a new trial's
    # export has no death or adverse event entered; a mapping may still name them)
    for name, d in sorted(fields.items(), key=lambda kv: kv[0] != record_id):
        if d.get("field_type") == "checkbox":
            seen.update(dict.fromkeys(f"{name}___{c}" for c in _choice_codes(d)))
        elif d.get("field_type") != "descriptive":
            seen.setdefault(name)
    for values in rows.rows.values():
        seen.update(dict.fromkeys(values))
    for c in sorted(complete):
        seen.setdefault(c)
    lines = rows.write(out / "records.csv", list(seen), longitudinal)
    if longitudinal:
        with (out / "events.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["event_name", "arm_num", "unique_event_name"])
            for e in events:
                w.writerow([e.get(rc("EventName")) or e.get("Name", ""),
                            e.get(rc("ArmNum")) or "1", event_names[e.get("OID", "")]])
        arms = {e.get(rc("ArmNum")) or "1": e.get(rc("ArmName")) or "" for e in events}
        with (out / "arms.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["arm_num", "name"])
            for num, name in arms.items():
                w.writerow([num, name])
        with (out / "form_events.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["arm_num", "unique_event_name", "form"])
            for e in events:
                for fr in e.findall(tag("FormRef")):
                    w.writerow([e.get(rc("ArmNum")) or "1", event_names[e.get("OID", "")],
                                form_names.get(fr.get("FormOID", ""), fr.get("FormOID", ""))])
    return Converted(out, path, lines,
                     {k: v for k, v in event_names.items() if k != v},
                     {k: v for k, v in form_names.items() if k != v})
