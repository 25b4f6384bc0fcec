"""Issue 26: every instrument, event and field a mapping names must exist in the project; a
misspelled one is an error naming it and the closest real names, never an empty table."""

import pytest

from rfa_dash.cli.main import main
from rfa_dash.ingest.export import SAMPLE_DIR
from rfa_dash.ingest.redcap.importer import RedcapError, import_folder


def _sample(tmp_path, old, new):
    import shutil

    folder = tmp_path / "rc"
    shutil.copytree(SAMPLE_DIR / "redcap", folder)
    mapping = folder / "redcap_mapping.toml"
    text = mapping.read_text(encoding="utf-8")
    assert old in text
    mapping.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_a_misspelled_repeating_instrument_is_an_error(tmp_path, capsys):
    folder = _sample(tmp_path, 'repeat_instrument = "sre"', 'repeat_instrument = "sre_event"')
    with pytest.raises(RedcapError, match=r"\[tables.sre_events\] repeat_instrument "
                                          r"'sre_event' is not an instrument of the data "
                                          r"dictionary; the closest: [a-z_, ]*\bsre\b"):
        import_folder(folder)
    # the check command says so in one line and exits 2 (it used to exit 0 with no SRE)
    assert main(["check", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sre_event" in err[0]


def test_events_without_an_events_csv_matching_no_row_are_an_error(tmp_path):
    folder = _sample(tmp_path, 'event = "events"', 'event = "eventz"')
    with pytest.raises(RedcapError, match=r"event eventz of \[tables.sre_events\] is not an "
                                          r"event of any row of redcap_records.csv \(no events "
                                          r"CSV in the folder\); the closest: events_arm_1; "
                                          r"if no participant has reached it yet, put the "
                                          r"project's events CSV in the folder"):
        import_folder(folder)


def test_with_the_events_csv_a_misspelled_event_is_an_error(tmp_path):
    folder = _sample(tmp_path, 'event = "events"', 'event = "eventz"')
    events = ["screening", "randomization", "month_1", "month_3", "month_6", "month_12",
              "month_24", "events"]
    (folder / "redcap_events.csv").write_text(
        "event_name,arm_num,unique_event_name\n"
        + "".join(f"{e},1,{e}_arm_1\n" for e in events), encoding="utf-8")
    with pytest.raises(RedcapError, match=r"event eventz of \[tables.sre_events\] is not an "
                                          r"event of the project's events CSV; the closest: "
                                          r"events_arm_1"):
        import_folder(folder)


def test_a_field_missing_from_the_records_names_the_closest(tmp_path):
    folder = _sample(tmp_path, 'omed_mg = "fu_omed"', 'omed_mg = "fu_omd"')
    problems = [p for p in import_folder(folder).problems if p.column == "fu_omd"]
    assert problems and "the closest: fu_omed" in problems[0].message
    assert problems[0].severity == "error"


def test_a_table_whose_events_no_participant_reached_yet_is_a_warning(tmp_path):
    # no events CSV, no follow-up rows yet, and names unlike any row's event: not a typo
    folder = _sample(tmp_path, 'event = "events"', 'event = "sre_and_ae"')
    warnings = [p for p in import_folder(folder).problems if p.severity == "warning"]
    assert any("no row of redcap_records.csv has the events of [tables.sre_events] "
               "(sre_and_ae): the table is empty" in p.message for p in warnings)
