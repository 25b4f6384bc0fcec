"""REDCap clinical data written as ODM without its metadata, read with the project's own
data dictionary CSV.

A folder holding REDCap's data dictionary (and, for a longitudinal project, its events,
arms and instrument-event CSVs) beside an ODM file with ``<ClinicalData>`` but no
``<Study>`` is read as that project: the XML's data become the records CSV REDCap would
have written (``record``, ``redcap_event_name``, ``redcap_repeat_instrument``,
``redcap_repeat_instance`` and a column per field, checkbox choices and form statuses
included), and the CSV importer runs on it with the folder's own dictionary. Messages
name the XML's lines.

Which instruments and events repeat is REDCap's project setting, which clinical data
alone do not carry (REDCap writes a repeat key on every form and event, "1" where nothing
repeats). It is taken from, in order:

1. the project's "repeating instruments and events" CSV in the folder (REDCap's API,
   ``content=repeatingFormsEvents``: ``event_name, form_name, custom_form_label``; an
   empty ``form_name`` is a repeating event), when there is one;
2. else the data and the mapping: an instrument whose ``FormRepeatKey`` exceeds 1 in an
   event repeats there, an event whose ``StudyEventRepeatKey`` exceeds 1 repeats, and an
   instrument the mapping reads as ``repeat_instrument`` repeats wherever it appears. An
   info line says so and what was inferred; if a repeating instrument has one instance
   only so far and the mapping does not name it, its rows are the event's own, and the
   importer's row accounting reports any value the mapping then misses.
"""

from __future__ import annotations

import atexit
import csv
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rfa_dash.ingest.redcap.mapping import RedcapError
from rfa_dash.ingest.redcap.odm_xml import (
    KeyedRows,
    RepeatKeys,
    item_values,
    odm_files,
    parse,
    rc,
    tag,
)
from rfa_dash.ingest.redcap.project import DictField

REPEATING_HEADER = {"form_name", "custom_form_label"}


@dataclass
class Repeating:
    """REDCap's repeat settings: event -> repeating instruments ("" for a classic
    project's), the repeating events, and whether they were read from the project's CSV."""

    forms: dict[str, set[str]]
    events: set[str]
    from_csv: bool


def clinical_only(folder: Path) -> tuple[Path, Any] | None:
    """The folder's ODM file that holds clinical data and no metadata, and its parsed root
    (for :func:`convert_clinical`: the file is parsed once), or None."""
    for p in odm_files(folder):
        root = parse(p)
        if root.find(tag("ClinicalData")) is not None and root.find(tag("Study")) is None:
            return p, root
    return None


def repeating_csv(folder: Path) -> Path | None:
    """REDCap's repeating instruments and events CSV in ``folder``, or None."""
    for p in sorted(Path(folder).glob("*.csv")):
        with p.open(newline="", encoding="utf-8-sig") as f:
            header = {h.strip().lower() for h in next(csv.reader(f), [])}
        if REPEATING_HEADER <= header and header <= REPEATING_HEADER | {"event_name"}:
            return p
    return None


def read_repeating(path: Path) -> Repeating:
    """REDCap's repeating instruments and events CSV as :class:`Repeating`."""
    forms: dict[str, set[str]] = {}
    events: set[str] = set()
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            event, form = row.get("event_name", ""), row.get("form_name", "")
            if form:
                forms.setdefault(event, set()).add(form)
            elif event:
                events.add(event)
    return Repeating(forms, events, True)


def _name(el: Any, attr: str, prefix: str, redcap_attr: str = "") -> str:
    """REDCap's name of an event or form: its redcap: attribute, else the OID without
    REDCap's ``Event.`` / ``Form.`` prefix."""
    if redcap_attr and el.get(rc(redcap_attr)):
        return str(el.get(rc(redcap_attr)))
    oid = str(el.get(attr, ""))
    return oid[len(prefix):] if oid.startswith(prefix) else oid


def _infer(root: Any, mapping_forms: set[str]) -> Repeating:
    forms: dict[str, set[str]] = {}
    events: set[str] = set()
    for subj in root.iter(tag("SubjectData")):
        for ev in subj.findall(tag("StudyEventData")) or [subj]:
            ev_name = _name(ev, "StudyEventOID", "Event.", "UniqueEventName") \
                if ev is not subj else ""
            if (ev.get("StudyEventRepeatKey") or "1").strip() not in ("", "1"):
                events.add(ev_name)
            for fd in ev.findall(tag("FormData")):
                form = _name(fd, "FormOID", "Form.")
                if form in mapping_forms or (fd.get("FormRepeatKey") or "1").strip() \
                        not in ("", "1"):
                    forms.setdefault(ev_name, set()).add(form)
    return Repeating(forms, events, False)


def convert_clinical(path: Path, root: Any, dictionary: dict[str, DictField], record_id: str,
                     repeating: Path | None, mapping_forms: set[str]
                     ) -> tuple[Path, list[int], list[str]]:
    """The clinical data of ``path`` (parsed: ``root``) as REDCap's records CSV: (its path
    in a private temporary folder, the XML line of each row, info lines on how repeats
    were told).

    Raises
    ------
    RedcapError
        Not well-formed, a repeat key that is not a number, two repeats without keys, or
        data that would land on another's row.
    """
    rep = read_repeating(repeating) if repeating else _infer(root, mapping_forms)
    rows = KeyedRows()
    keys = RepeatKeys(path)
    longitudinal = root.find(f"{tag('ClinicalData')}/{tag('SubjectData')}/"
                             f"{tag('StudyEventData')}") is not None
    for cd in root.findall(tag("ClinicalData")):
        for subj in cd.findall(tag("SubjectData")):
            rid = subj.get("SubjectKey", "").strip()
            for ev in subj.findall(tag("StudyEventData")) or [subj]:
                ev_name = _name(ev, "StudyEventOID", "Event.", "UniqueEventName") \
                    if ev is not subj else ""
                ev_rep = keys.repeat(ev, "StudyEventRepeatKey", (rid, ev_name)) \
                    if ev_name in rep.events else ""
                # a classic project has one (hidden) event: its repeating instruments all
                here = rep.forms.get(ev_name, set()) if longitudinal else \
                    set().union(set(), *rep.forms.values())
                for fd in ev.findall(tag("FormData")):
                    form = _name(fd, "FormOID", "Form.")
                    key = (rid, ev_name, "", ev_rep)
                    if form in here:
                        key = (rid, ev_name, form,
                               keys.repeat(fd, "FormRepeatKey", (rid, ev_name, ev_rep, form)))
                    values = {record_id: rid}
                    for it, value in item_values(fd):
                        values[it.get("ItemOID", "")] = value
                    rows.put(key, fd.sourceline or ev.sourceline or 0, values)
    rows.check(path)
    columns = [record_id] + (["redcap_event_name"] if longitudinal else []) + [
        "redcap_repeat_instrument", "redcap_repeat_instance"]
    seen = dict.fromkeys(columns)
    forms: list[str] = []
    for d in dictionary.values():   # every field a column, filled in or not yet
        if d.ftype == "checkbox":
            seen.update(dict.fromkeys(f"{d.name}___{c}" for c in d.choices))
        elif d.ftype != "descriptive":
            seen.setdefault(d.name)
        if d.form not in forms:
            forms.append(d.form)
    for form in forms:
        seen.setdefault(f"{form}_complete")
    for values in rows.rows.values():
        seen.update(dict.fromkeys(values))   # and any the dictionary does not have
    out = Path(tempfile.mkdtemp(prefix="rfa_odm_data_"))
    atexit.register(shutil.rmtree, out, True)
    lines = rows.write(out / "records.csv", list(seen), longitudinal)
    said = []
    if not rep.from_csv:
        found = sorted({f for fs in rep.forms.values() for f in fs})
        said.append(
            f"{path.name} has no metadata; read with the data dictionary. No repeating "
            "instruments and events CSV in the folder, so repeats were told from the data "
            "and the mapping: " + (f"instruments {', '.join(found)}" if found else
                                   "no instrument") + " repeat"
            + (f"; events {', '.join(sorted(rep.events))} repeat" if rep.events else "")
            + " (export REDCap's repeating instruments and events, API "
            "content=repeatingFormsEvents, beside it to be sure)")
    if not rows.rows:
        raise RedcapError(f"{path.name}: its clinical data hold no subject")
    return out / "records.csv", lines, said
