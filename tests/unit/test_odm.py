"""CDISC ODM XML read wherever a REDCap folder is (issue 26): REDCap's project XML and
OpenClinica's ODM 1.3 export, genuine files (tests/data/odm, with their source and licence),
through the same mapping language, with messages that name lines of the XML file."""

import shutil
from pathlib import Path

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest.export import open_export
from rfa_dash.ingest.redcap.importer import import_folder
from rfa_dash.ingest.redcap.mapping import RedcapError

ROOT = Path(__file__).resolve().parents[2]
ODM = ROOT / "tests" / "data" / "odm"
CSV = ROOT / "tests" / "data" / "redcap"
DEMO_MAPPING = ROOT / "docs" / "examples" / "redcap-demo-2-arms.toml"
JUNO = ODM / "openclinica-juno"


def _folder(tmp_path: Path, name: str, files: list[Path], mapping: str | Path) -> Path:
    out = tmp_path / name
    out.mkdir()
    for f in files:
        shutil.copy(f, out / f.name)
    if isinstance(mapping, Path):
        shutil.copy(mapping, out / "mapping.toml")
    else:
        (out / "mapping.toml").write_text(mapping)
    return out


def _tables(imp) -> dict:
    return {t: {c: col.to_pylist() for c, col in frame.items()}
            for t, frame in imp.tables.items()}


def _errors(imp) -> list[tuple]:
    return [(p.table, p.column, p.message) for p in imp.problems if p.severity == "error"]


def test_redcaps_project_xml_reads_as_its_csv_export_does(tmp_path):
    """The same project (REDCap's 2-arm demo), exported as CSV and as CDISC ODM XML, read
    through one mapping: the same contract tables and the same errors; the errors of the
    XML name its lines, each the line of the element the row came from."""
    xml = _folder(tmp_path, "xml", [ODM / "redcap-longitudinal" / "project.xml"], DEMO_MAPPING)
    csv = _folder(tmp_path, "csv", sorted((CSV / "longitudinal").glob("*.csv")), DEMO_MAPPING)
    a, b = import_folder(xml), import_folder(csv)
    assert _tables(a) == _tables(b)
    assert set(a.tables["randomization"]["arm"].to_pylist()) == {"rfa_rt", "rt_alone"}
    assert _errors(a) == _errors(b) and _errors(a)
    text = (xml / "project.xml").read_text(encoding="utf-8").splitlines()
    for p in a.problems:
        if p.severity == "error" and p.line:
            assert text[p.line - 1].lstrip().startswith(("<StudyEventData", "<ItemGroupData",
                                                         "<FormData")), (p, text[p.line - 1])


def test_a_mapping_may_name_events_and_instruments_by_their_oids(tmp_path):
    by_oid = DEMO_MAPPING.read_text().replace('event = "enrollment"',
                                              'event = "Event.enrollment_arm_1"')
    # enrollment of arm 1 only, by its StudyEventOID
    xml = _folder(tmp_path, "xml", [ODM / "redcap-longitudinal" / "project.xml"], by_oid)
    ids = import_folder(xml).tables["screening"]["screening_id"].to_pylist()
    assert ids and len(ids) < 5


REPEATING = """
[redcap]
empty_tables = ["randomization", "visits", "sre_events", "offstudy"]
[tables.screening]
repeat_instrument = ""
[tables.screening.fields]
screening_id = "record_id"
screen_date = "date_enrolled"
[tables.adverse_events]
repeat_instrument = "{form}"
[tables.adverse_events.fields]
participant_id = "record_id"
onset_date = "date_bp"
term = "bp_systolic"
grade = "bp_diastolic"
"""


def test_a_repeating_instrument_in_the_xml_reads_as_in_the_csv(tmp_path):
    xml = _folder(tmp_path, "xml", [ODM / "redcap-repeating-instruments" / "project.xml"],
                  REPEATING.format(form="Form.bp"))          # the FormOID
    csv = _folder(tmp_path, "csv", sorted((CSV / "repeating-instruments").glob("*.csv")),
                  REPEATING.format(form="bp"))               # REDCap's instrument name
    a, b = import_folder(xml), import_folder(csv)
    assert _tables(a)["adverse_events"] == _tables(b)["adverse_events"]
    assert len(a.tables["adverse_events"]["onset_date"]) > 3
    assert _tables(a)["screening"] == _tables(b)["screening"]


def test_openclinicas_export_reads_through_oids_with_xml_lines(capsys):
    """OpenClinica's JUNO demo: StudyEventOIDs, FormOIDs and ItemOIDs in the mapping, the
    adverse-event log a repeating item group, the study subject ID the record."""
    imp = import_folder(JUNO)
    ae = {c: col.to_pylist() for c, col in imp.tables["adverse_events"].items()}
    assert len(ae["participant_id"]) == 6
    assert ae["participant_id"][:3] == ["101-001", "102-001", "102-004"]
    assert ae["term"][:3] == ["headache", "headache", "fever"]
    assert set(ae["onset_date"]) == {"2015-08-31"}
    assert imp.lines["adverse_events"][:2] == [11905, 15241]   # each its <ItemGroupData>
    screening = imp.tables["screening"]["screening_id"].to_pylist()
    assert len(screening) == 22 and screening[0] == "101-001"
    # a subject without an informed-consent date: one error naming the XML line of its
    # initial visit, never a traceback
    assert main(["check", str(JUNO)]) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if "record 101-002" in ln)
    assert "12003" in line and "I_INCLU_IN_DT_IC" in line and "screen_date" in line
    text = (JUNO / next(JUNO.glob("*.xml")).name).read_text(encoding="ascii").splitlines()
    assert text[12002].lstrip().startswith('<StudyEventData StudyEventOID="SE_INITIALVISIT"')


def test_the_converted_odm_export_opens_for_the_app():
    exp = open_export(JUNO, use_cache=False)
    try:
        assert exp.con.execute("SELECT count(*) FROM stg_adverse_events").fetchone()[0] >= 0
        assert exp.files["adverse_events"] == (
            "JUNO_DEMO_odm1.3_fullExtract_All_Data_2016-08-01-081433593.xml (CDISC ODM)")
    finally:
        exp.close()


@pytest.mark.parametrize("content,says", [
    ('<?xml version="1.0"?>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">\n<Study>\n',
     "project.xml, line 4: not well-formed XML"),
    ('<?xml version="1.0"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S">'
     '<MetaDataVersion OID="v1"/></Study></ODM>', "no <ClinicalData>: this is the project's "
     "metadata only"),
])
def test_a_broken_or_metadata_only_file_is_one_line(tmp_path, capsys, content, says):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "project.xml").write_text(content)
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_external_entity_is_never_read(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    folder = tmp_path / "x"
    folder.mkdir()
    xml = (ODM / "redcap-repeating-instruments" / "project.xml").read_text(encoding="utf-8")
    xml = xml.replace('<?xml version="1.0" encoding="UTF-8" ?>',
                      '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ODM [<!ENTITY x '
                      f'SYSTEM "file://{secret}">]>', 1)
    xml = xml.replace('Value="aaa"', 'Value="&x;"', 1)
    (folder / "project.xml").write_text(xml)
    (folder / "mapping.toml").write_text(REPEATING.format(form="bp").replace(
        'screen_date = "date_enrolled"', 'screen_date = "date_enrolled"\nsex = "first_name"'))
    try:
        imp = import_folder(folder)
        assert "TOP-SECRET-VALUE" not in str(_tables(imp))
    except RedcapError as exc:
        assert "TOP-SECRET-VALUE" not in str(exc)


def test_an_uploaded_odm_file_and_its_mapping_open(tmp_path):
    """What the sidebar's upload does with an XML file and a mapping TOML."""
    from rfa_dash.ingest import uploads
    from rfa_dash.ui.source import REDCAP_SUFFIXES

    xml = next(JUNO.glob("*.xml"))
    assert xml.name.endswith(REDCAP_SUFFIXES)     # the upload keeps it
    root = tmp_path / "uploads"
    root.mkdir(mode=0o700)
    folder, _ = uploads.save([(xml.name, xml.read_bytes()),
                              ("juno.toml", (JUNO / "juno.toml").read_bytes())], root)
    exp = open_export(folder, use_cache=False)
    try:
        assert exp.con.execute("SELECT count(*) FROM stg_screening").fetchone()[0] > 10
    finally:
        exp.close()
