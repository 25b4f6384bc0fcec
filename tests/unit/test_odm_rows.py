"""Issue 34: every row of a genuine ODM export arrives, or the reading says which did not.

Each genuine file (tests/data/odm/README.md) is counted with a plain XML parser
(``xml.etree``, none of the package's code): the rows REDCap's own CSV export would have
(one per record, event and event repeat for the non-repeating instruments, one per
instance of an instrument where it repeats) or OpenClinica's (one per event, one per
repeat of a repeating item group), and every value. The converted records must hold the
same rows and every value. Then the faults the issue found: a repeat numbered twice (an
error naming both lines, never a silent overwrite), repeat keys that are not numbers, a
field defined but not yet filled, OpenClinica's event dates and statuses, UTF-16, a
DOCTYPE, another study's clinical data, and the metadata and data in two files.
"""

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rfa_dash.ingest.redcap import odm
from rfa_dash.ingest.redcap.mapping import RedcapError
from tests.helpers import odm_halves

DATA = Path(__file__).resolve().parents[1] / "data" / "odm"
NS = "{http://www.cdisc.org/ns/odm/v1.3}"
RC = "{https://projectredcap.org}"
OC = "{http://www.openclinica.org/ns/odm_ext_v130/v3.1}"
REDCAP_FILES = [DATA / "redcap-longitudinal" / "project.xml",
                DATA / "redcap-repeating-instruments" / "project.xml",
                DATA / "redcap-repeating-events" / "RepeatingEvents.REDCap.xml"]
JUNO = next((DATA / "openclinica-juno").glob("*.xml"))
OPENEDC = (DATA / "openedc-pair" / "metadata.xml", DATA / "openedc-pair" / "clinicaldata.xml")
OTHER_ODM = {"openclinica-juno": (JUNO, None), "openedc-pair": OPENEDC}


def _records(path: Path, other: Path | None = None) -> list[dict[str, str]]:
    conv = odm.convert(path, other)
    with (conv.folder / "records.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _redcap_expected(path: Path) -> tuple[set[tuple[str, str, str, str]], int]:
    """REDCap's CSV rows (record, event, repeat instrument, instance) and the number of
    non-empty values, counted from the XML alone."""
    root = ET.parse(path).getroot()
    events = {e.get("OID"): e.get(f"{RC}UniqueEventName")
              for e in root.iter(f"{NS}StudyEventDef")}
    rep_events = {e.get(f"{RC}UniqueEventName") for e in root.iter(f"{RC}RepeatingEvent")}
    rep_forms: dict[str, set[str]] = {}
    for ri in root.iter(f"{RC}RepeatingInstrument"):
        rep_forms.setdefault(ri.get(f"{RC}UniqueEventName") if events else "", set()).add(
            ri.get(f"{RC}RepeatInstrument"))
    forms = {f.get("OID"): f.get(f"{RC}FormName") for f in root.iter(f"{NS}FormDef")}
    rows, values = set(), 0
    for subj in root.iter(f"{NS}SubjectData"):
        rid = subj.get("SubjectKey")
        for ev in subj.findall(f"{NS}StudyEventData") or [subj]:   # classic: no events
            name = events.get(ev.get("StudyEventOID"), "") if events else ""
            ev_rep = ev.get("StudyEventRepeatKey") if name in rep_events else ""
            for fd in ev.findall(f"{NS}FormData"):
                form = forms[fd.get("FormOID")]
                # a file-upload field is its document's name, as in REDCap's CSV
                items = [i for i in fd.iter(f"{NS}ItemData") if i.get("Value")] + list(
                    fd.iter(f"{NS}ItemDataBase64Binary"))
                values += len(items)
                if not items:
                    continue
                if form in rep_forms.get(name, set()):
                    rows.add((rid, name, form, fd.get("FormRepeatKey")))
                else:
                    rows.add((rid, name, "", ev_rep or ""))
    return rows, values


@pytest.mark.parametrize("path", REDCAP_FILES, ids=lambda p: p.parent.name)
def test_every_row_and_value_of_a_genuine_redcap_project_xml_arrives(path):
    expected, n_values = _redcap_expected(path)
    got = _records(path)
    rid = next(ET.parse(path).getroot().iter(f"{NS}MetaDataVersion")).get(
        f"{RC}RecordIdField")
    keys = {(r[rid], r.get("redcap_event_name", ""), r["redcap_repeat_instrument"],
             r["redcap_repeat_instance"]) for r in got}
    assert len(got) == len(keys), "a row written twice"
    assert keys == expected
    meta = {rid, "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"}
    # every value of the file is in a cell (the record ID once per form in the XML)
    cells = sum(1 for r in got for k, v in r.items() if v and k not in meta)
    ids_in_xml = sum(1 for i in ET.parse(path).getroot().iter(f"{NS}ItemData")
                     if i.get("ItemOID") == rid and i.get("Value"))
    assert cells == n_values - ids_in_xml


def _odm_expected(meta: Path, data: Path | None) -> tuple[set[tuple[str, str, str, str]],
                                                        int, set[str]]:
    """The rows of an ODM file that is not REDCap's (OpenClinica, OpenEDC): one per subject
    and event (and event repeat: a repeating event without a key is its first), one per
    repeat of a repeating form or item group; the non-empty values; the multi-select items
    (a column per choice, counted apart)."""
    mroot = ET.parse(meta).getroot()
    droot = ET.parse(data).getroot() if data else mroot
    rep_events = {e.get("OID") for e in mroot.iter(f"{NS}StudyEventDef")
                  if e.get("Repeating") == "Yes"}
    rep_forms = {f.get("OID") for f in mroot.iter(f"{NS}FormDef") if f.get("Repeating") == "Yes"}
    rep_groups = {g.get("OID") for g in mroot.iter(f"{NS}ItemGroupDef")
                  if g.get("Repeating") == "Yes"}
    multi = {d.get("OID") for d in mroot.iter(f"{NS}ItemDef")
             if d.find(f"{OC}MultiSelectListRef") is not None}
    rows, values = set(), 0
    for subj in droot.iter(f"{NS}SubjectData"):
        sid = (subj.get(f"{OC}StudySubjectID") or subj.get("SubjectKey")).strip()
        for ev in subj.findall(f"{NS}StudyEventData"):
            oid = ev.get("StudyEventOID")
            ev_rep = (ev.get("StudyEventRepeatKey") or "1") if oid in rep_events else ""
            rows.add((sid, oid, "", ev_rep))
            for fd in ev.findall(f"{NS}FormData"):
                f_rep = (fd.get("FormRepeatKey") or "1") if fd.get("FormOID") in rep_forms \
                    else ""
                if f_rep:
                    rows.add((sid, oid, fd.get("FormOID"), f_rep))
                for gd in fd.findall(f"{NS}ItemGroupData"):
                    if gd.get("ItemGroupOID") in rep_groups:
                        outer, n = f_rep or ev_rep, int(gd.get("ItemGroupRepeatKey") or 1)
                        rows.add((sid, oid, fd.get("FormOID"),
                                  str(int(outer) * 1000 + n) if outer else str(n)))
                    values += sum(1 for i in gd.findall(f"{NS}ItemData")
                                  if i.get("Value") and i.get("ItemOID") not in multi)
    return rows, values, multi


@pytest.mark.parametrize("name", OTHER_ODM)
def test_every_row_and_value_of_a_genuine_odm_of_another_edc_arrives(name):
    """OpenClinica 3's full extract (one file) and OpenEDC's two files (metadata, data)."""
    meta, data = OTHER_ODM[name]
    expected, n_values, multi = _odm_expected(meta, data)
    got = _records(meta, data)
    keys = {(r["subject_id"], r["redcap_event_name"], r["redcap_repeat_instrument"],
             r["redcap_repeat_instance"]) for r in got}
    assert len(got) == len(keys), "a row written twice"
    assert keys == expected
    skip = {"subject_id", "redcap_event_name", "redcap_repeat_instrument",
            "redcap_repeat_instance", *odm.OC_FACTS}
    cells = sum(1 for r in got for k, v in r.items()
                if v and k not in skip and "___" not in k)
    assert cells == n_values
    if name == "openedc-pair":   # not OpenClinica's: no OpenClinica columns
        assert not set(odm.OC_FACTS) & set(got[0])


def test_two_repeats_of_an_event_without_keys_are_an_error_naming_both(tmp_path):
    """OpenEDC writes no StudyEventRepeatKey for a repeating event entered once; a second
    one without a key cannot be told from the first: one line, nothing read or merged."""
    text = OPENEDC[1].read_text(encoding="utf-8")
    start = text.index('<StudyEventData StudyEventOID="SE.3">')
    end = text.index("</StudyEventData>", start) + len("</StudyEventData>")
    twice = text[:end] + "\n" + text[start:end] + text[end:]
    (tmp_path / "clinicaldata.xml").write_text(twice, encoding="utf-8")
    with pytest.raises(RedcapError, match=r"lines \d+ and \d+: two repeats of SE.3 for "
                                          r"subject 01 without a StudyEventRepeatKey"):
        odm.convert(OPENEDC[0], tmp_path / "clinicaldata.xml")


def test_a_repeating_event_keeps_each_visit_and_an_instrument_repeats_only_where_it_does():
    """The REDCap-ETL project: visits repeat (an event), weight and cardiovascular repeat
    only in the home visits. Record 1001's second visit keeps its own weight (it took the
    first visit's row before), and its baseline weight is on the event's own row."""
    path = REDCAP_FILES[2]
    rows = {(r["record_id"], r["redcap_event_name"], r["redcap_repeat_instrument"],
             r["redcap_repeat_instance"]): r for r in _records(path)}
    root = ET.parse(path).getroot()
    subj = next(s for s in root.iter(f"{NS}SubjectData") if s.get("SubjectKey") == "1001")
    visits = [e for e in subj.findall(f"{NS}StudyEventData")
              if e.get("StudyEventOID") == "Event.visit_arm_1"]
    assert len(visits) == 2
    for ev in visits:
        weight = next(i.get("Value") for i in ev.iter(f"{NS}ItemData")
                      if i.get("ItemOID") == "weight_kg")
        assert rows[("1001", "visit_arm_1", "", ev.get("StudyEventRepeatKey"))][
            "weight_kg"] == weight
    assert rows[("1001", "baseline_arm_1", "", "")]["weight_kg"]
    assert ("1001", "baseline_arm_1", "weight", "1") not in rows
    assert ("1001", "home_visit_arm_1", "weight", "2") in rows


def test_a_repeat_numbered_twice_is_an_error_naming_both_lines(tmp_path):
    text = REDCAP_FILES[2].read_text(encoding="utf-8")
    # the second visit of record 1001 numbered as the first
    bad = text.replace('StudyEventOID="Event.visit_arm_1" StudyEventRepeatKey="2"',
                       'StudyEventOID="Event.visit_arm_1" StudyEventRepeatKey="1"', 1)
    assert bad != text
    (tmp_path / "p.xml").write_text(bad, encoding="utf-8")
    with pytest.raises(RedcapError, match=r"value\(s\) would be lost.*line \d+.*line \d+"
                                          r".*record 1001, event visit_arm_1"):
        odm.convert(tmp_path / "p.xml")


@pytest.mark.parametrize("key,instance", [("7", "7"), ("BP[8]", "8")])
def test_a_repeat_key_is_a_number_or_raves_name_and_number(tmp_path, key, instance):
    text = REDCAP_FILES[1].read_text(encoding="utf-8")
    bad = text.replace('FormRepeatKey="2"', f'FormRepeatKey="{key}"', 1)
    (tmp_path / "p.xml").write_text(bad, encoding="utf-8")
    assert instance in {r["redcap_repeat_instance"] for r in _records(tmp_path / "p.xml")}


def test_a_repeat_key_that_is_no_number_is_one_line_naming_it(tmp_path):
    text = JUNO.read_text(encoding="utf-8")
    bad = text.replace('ItemGroupRepeatKey="2"', 'ItemGroupRepeatKey="b"', 1)
    assert bad != text
    (tmp_path / "p.xml").write_text(bad, encoding="utf-8")
    with pytest.raises(RedcapError, match=r"line \d+: the repeat key 'b' is not a number"):
        odm.convert(tmp_path / "p.xml")


def test_a_field_defined_but_not_yet_filled_is_a_column(tmp_path):
    root = ET.parse(REDCAP_FILES[0]).getroot()
    filled = {i.get("ItemOID") for i in root.iter(f"{NS}ItemData")}
    defined = {d.get(f"{RC}Variable") for d in root.iter(f"{NS}ItemDef")
               if d.get(f"{RC}FieldType") not in ("checkbox", "descriptive")}
    empty = defined - filled
    text = REDCAP_FILES[0].read_text(encoding="utf-8")
    # and one more: every value of a filled field taken out, as before its first entry
    import re
    gone = "height"
    assert gone in filled
    (tmp_path / "p.xml").write_text(
        re.sub(rf'<ItemData ItemOID="{gone}" Value="[^"]*"/>', "", text), encoding="utf-8")
    header = _records(tmp_path / "p.xml")[0].keys()
    assert gone in header and empty <= set(header)


def test_openclinicas_event_dates_and_statuses_are_fields_of_the_events_row():
    rows = _records(JUNO)
    root = ET.parse(JUNO).getroot()
    subj = next(iter(root.iter(f"{NS}SubjectData")))
    ev = subj.find(f"{NS}StudyEventData")
    rid = subj.get(f"{OC}StudySubjectID")
    mine = next(r for r in rows if r["subject_id"] == rid
                and r["redcap_event_name"] == ev.get("StudyEventOID")
                and not r["redcap_repeat_instrument"])
    assert mine["oc_event_start_date"] == ev.get(f"{OC}StartDate")[:10]
    assert mine["oc_event_status"] == ev.get(f"{OC}Status")
    assert mine["oc_subject_status"] == subj.get(f"{OC}Status")


def test_utf16_is_read_as_odm(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    text = REDCAP_FILES[1].read_text(encoding="utf-8").replace('encoding="UTF-8"',
                                                                'encoding="UTF-16"', 1)
    (folder / "p.xml").write_bytes(text.encode("utf-16"))
    assert odm.odm_file(folder) == folder / "p.xml"
    assert len(_records(folder / "p.xml")) == len(_records(REDCAP_FILES[1]))


def test_undeclared_latin1_bytes_are_one_line_saying_what_to_do(tmp_path):
    raw = REDCAP_FILES[1].read_bytes().replace(b'Value="', b'Value="caf\xe9 ', 1)
    (tmp_path / "p.xml").write_bytes(raw)
    with pytest.raises(RedcapError, match=r"p.xml: .*not the encoding it declares"):
        odm.convert(tmp_path / "p.xml")


def test_a_doctype_is_refused_rather_than_losing_the_text_of_its_entities(tmp_path):
    text = REDCAP_FILES[1].read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    (tmp_path / "p.xml").write_text(head + '\n<!DOCTYPE ODM [<!ENTITY org "Acme">]>\n' + rest,
                                    encoding="utf-8")
    with pytest.raises(RedcapError, match="DOCTYPE"):
        odm.convert(tmp_path / "p.xml")


def test_clinical_data_of_another_study_is_not_read(tmp_path):
    text = REDCAP_FILES[1].read_text(encoding="utf-8")
    root = ET.fromstring(text.encode())
    oid = root.find(f"{NS}ClinicalData").get("StudyOID")
    (tmp_path / "p.xml").write_text(text.replace(f'<ClinicalData StudyOID="{oid}"',
                                                 '<ClinicalData StudyOID="Project.Other"', 1),
                                    encoding="utf-8")
    with pytest.raises(RedcapError, match="of study 'Project.Other'"):
        odm.convert(tmp_path / "p.xml")


def test_metadata_and_data_in_two_files_are_read_together(tmp_path):
    """As REDCap's "data only" export beside the metadata, or EDCs that write them apart:
    the two halves of the genuine file, in a folder, read as the whole."""
    metadata, data = odm_halves(REDCAP_FILES[2].read_text(encoding="utf-8"))
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "metadata.xml").write_text(metadata, encoding="utf-8")
    (folder / "data.xml").write_text(data, encoding="utf-8")
    assert len(odm.odm_files(folder)) == 2
    whole = _records(REDCAP_FILES[2])
    assert _records(*odm.odm_files(folder)) == whole
    # a lone metadata file says what is missing
    with pytest.raises(RedcapError, match="metadata only"):
        odm.convert(folder / "metadata.xml")


def test_the_worked_openclinica_mapping_takes_visits_and_off_study_from_the_events():
    """docs/examples/openclinica-juno.toml: a visit per 1- and 2-week follow-up event,
    dated by the event's start and with its status; off study at the end-of-study event.
    Counted and read back against the XML with a plain parser."""
    from rfa_dash.ingest.redcap.importer import import_folder

    mapping = Path(__file__).resolve().parents[2] / "docs" / "examples" / "openclinica-juno.toml"
    imp = import_folder(JUNO.parent, mapping)
    root = ET.parse(JUNO).getroot()
    want = {}
    for subj in root.iter(f"{NS}SubjectData"):
        for ev in subj.findall(f"{NS}StudyEventData"):
            if ev.get("StudyEventOID") in ("SE_1WEEKFU", "SE_2WEEKFU"):
                want[(subj.get(f"{OC}StudySubjectID").strip(),   # one has a space
                      "1" if ev.get("StudyEventOID") == "SE_1WEEKFU" else "3")] = (
                    ev.get(f"{OC}StartDate")[:10], ev.get(f"{OC}Status"))
    v = imp.tables["visits"]
    got = {(p, m): d for p, m, d in zip(v["participant_id"].to_pylist(),
                                        v["visit_month"].to_pylist(),
                                        v["visit_date"].to_pylist(), strict=True)}
    assert got == {k: d for k, (d, _) in want.items()}
    assert set(v["status"].to_pylist()) == {"completed"}   # JUNO's: entered, signed
    eos = {subj.get(f"{OC}StudySubjectID").strip() for subj in root.iter(f"{NS}SubjectData")
           for ev in subj.findall(f"{NS}StudyEventData")
           if ev.get("StudyEventOID") == "SE_EOSORLFU"}
    assert set(imp.tables["offstudy"]["participant_id"].to_pylist()) == eos


def test_an_odm_folder_without_a_mapping_says_so_in_its_own_terms(tmp_path, capsys):
    """No internal records.csv, no advice for a CSV export: the XML file's name, that the
    reference trial's mapping was tried, and the command that drafts one."""
    import shutil

    from rfa_dash.cli import main

    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(REDCAP_FILES[2], folder)
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "no mapping TOML" in err and "redcap-mapping" in err
    assert "RepeatingEvents.REDCap.xml" in err
    assert "records.csv" not in err and "events CSV" not in err


def test_an_odm_pair_without_a_mapping_speaks_of_the_xml_not_a_records_csv(capsys):
    """OpenEDC's pair with no mapping: the reference trial's record ID is not this one's;
    the message names the XML and the line to write, never the internal records.csv."""
    from rfa_dash.cli import main

    assert main(["check", str(OPENEDC[0].parent)]) == 2
    err = capsys.readouterr().err
    assert "clinicaldata.xml" in err and 'record_id = "subject_id"' in err
    assert "records.csv" not in err and "CSV (raw)" not in err
    assert "redcap-mapping" in err and len(err.strip().splitlines()) == 1


def test_two_repeats_without_keys_on_one_line_are_an_error_too(tmp_path):
    """A file written on one line (minified) puts both keyless repeats on line 1: they are
    told apart as elements, not by their line, so they are never merged."""
    text = OPENEDC[1].read_text(encoding="utf-8")
    start = text.index('<StudyEventData StudyEventOID="SE.3">')
    end = text.index("</StudyEventData>", start) + len("</StudyEventData>")
    twice = text[:end] + text[start:end] + text[end:]
    head, body = twice.split("\n", 1)
    (tmp_path / "clinicaldata.xml").write_text(
        head + "\n" + " ".join(x.strip() for x in body.splitlines()), encoding="utf-8")
    with pytest.raises(RedcapError, match=r"two repeats of SE.3 for subject 01 without a "
                                          r"StudyEventRepeatKey"):
        odm.convert(OPENEDC[0], tmp_path / "clinicaldata.xml")
