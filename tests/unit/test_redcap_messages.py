"""Issue 26: messages for folders and rows a new site meets: a folder of project XML or API
JSON says what it found and what to export instead; a project whose record ID is not the
reference mapping's says which mapping was tried and how to write one; a repeating
event's row keeps its instance number."""

import csv
import shutil

from rfa_dash.cli.main import main
from rfa_dash.ingest.export import SAMPLE_DIR
from rfa_dash.ingest.redcap.importer import import_folder


def test_a_folder_of_xml_and_json_says_what_it_found(tmp_path, capsys):
    (tmp_path / "project.xml").write_text("<ODM/>", encoding="utf-8")
    (tmp_path / "records.json").write_text("[]", encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "found project.xml: XML that is not a CDISC ODM 1.3 file" in err
    assert "records.json: JSON, as the API gives with format=json" in err


def test_no_mapping_says_which_was_tried_and_how_to_write_one(tmp_path, capsys):
    folder = tmp_path / "rc"
    shutil.copytree(SAMPLE_DIR / "redcap", folder)
    (folder / "redcap_mapping.toml").unlink()
    for name in ("redcap_records.csv", "redcap_data_dictionary.csv"):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace("record_id", "study_no", 1),
                        encoding="utf-8")
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert ("no mapping TOML in the folder, so the reference trial's mapping "
            "(nct07090122.toml) was tried") in err
    assert 'write a mapping with [redcap] record_id = "study_no"' in err


def test_a_repeating_event_keeps_its_instance_in_messages(tmp_path):
    folder = tmp_path / "rc"
    shutil.copytree(SAMPLE_DIR / "redcap", folder)
    path = folder / "redcap_records.csv"
    rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    visit = next(r for r in rows if r["redcap_event_name"] == "month_1_arm_1")
    visit["redcap_repeat_instance"] = "2"          # month 1 as a repeating event
    visit["fu_date"] = "2025-02-31"                # a date that does not exist
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    bad = [p for p in import_folder(folder).problems if p.column == "fu_date"]
    assert bad and f"record {visit['record_id']}, event month_1_arm_1 #2, field fu_date" \
        in bad[0].message


def _without_offstudy(tmp_path, declare: bool):
    import re

    folder = tmp_path / "rc"
    shutil.copytree(SAMPLE_DIR / "redcap", folder)
    path = folder / "redcap_mapping.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\[tables\.offstudy\].*?(?=\n\[tables\.(?!offstudy))", "", text, flags=re.S)
    if declare:
        text = text.replace("[redcap]\n", '[redcap]\nempty_tables = ["offstudy"]\n', 1)
    path.write_text(text, encoding="utf-8")
    return folder


def test_a_required_table_can_be_declared_empty(tmp_path, capsys):
    # no off-study form built yet: without the declaration an error, with it an info line
    assert main(["check", str(_without_offstudy(tmp_path / "a", False))]) == 1
    assert "add [tables.offstudy], or list it in [redcap] empty_tables" in \
        capsys.readouterr().out
    folder = _without_offstudy(tmp_path / "b", True)
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "offstudy is declared empty in redcap_mapping.toml ([redcap] empty_tables)" in out
