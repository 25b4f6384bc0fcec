"""The bundled sample, written as REDCap would write it in other forms, gives exactly
the sample's figures: ``check`` exits 0 and ``eligibility``, ``visits`` and ``sre``
print the same as on the contract export."""

import contextlib
import io

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR
from rfa_dash.ingest.redcap.generate import to_redcap
from rfa_dash.ingest.redcap.importer import import_folder
from tests import redcap_variants as v

COMMANDS = ("eligibility", "visits", "sre")


@pytest.fixture(scope="module")
def expected():
    """Each command's output on the contract sample."""
    out = {}
    for cmd in COMMANDS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([cmd, str(SAMPLE_DIR), "--format", "csv"]) == 0
        out[cmd] = buf.getvalue()
    return out


def _same_figures(folder, expected, capsys):
    assert main(["check", str(folder)]) == 0, capsys.readouterr()
    capsys.readouterr()
    for cmd in COMMANDS:
        assert main([cmd, str(folder), "--format", "csv"]) == 0
        assert capsys.readouterr().out == expected[cmd], cmd


VARIANTS = {
    "api_dictionary": v.api_dictionary,
    "record_id_named_otherwise": v.rename_record_id,
    "decimal_commas": v.decimal_commas,
    "labels_export": v.labels,
    "classic_project": v.classic,
    "extra_unused_event": v.extra_event,
    "survey_timestamp_as_consent_date": v.survey_consent,
}


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_gives_the_sample_figures(name, tmp_path, expected, capsys):
    rc = tmp_path / "rc"
    to_redcap(SAMPLE_DIR, rc)
    VARIANTS[name](rc)
    _same_figures(rc, expected, capsys)


def test_each_variant_is_what_it_says(tmp_path):
    def made(fn):
        rc = tmp_path / fn.__name__
        to_redcap(SAMPLE_DIR, rc)
        fn(rc)
        return rc

    rc = made(v.api_dictionary)
    assert (rc / "metadata.csv").read_text().startswith("field_name,form_name,")
    rc = made(v.rename_record_id)
    assert (rc / "redcap_records.csv").read_text().startswith("study_id,")
    assert "record_id" not in (rc / "redcap_mapping.toml").read_text()
    rc = made(v.decimal_commas)
    assert "81,2" in (rc / "redcap_records.csv").read_text()
    rc = made(v.labels)
    text = (rc / "redcap_records.csv").read_text()
    assert text.startswith("Screening log number,Event Name,")
    assert "Screening (Arm 1: Single arm)" in text and "Checked" in text and ",Yes," in text
    [p] = import_folder(rc).problems
    assert p.severity == "info" and "labels rather than raw codes" in p.message
    rc = made(v.classic)
    assert "redcap_event_name" not in (rc / "redcap_records.csv").read_text().splitlines()[0]
    rc = made(v.extra_event)
    p, count = import_folder(rc).problems
    assert p.severity == "info" and "unscheduled_arm_1 (" in p.message
    assert count.severity == "info" and count.message.startswith("rows out = rows in")
    rc = made(v.survey_consent)
    text = (rc / "redcap_records.csv").read_text()
    assert "[not completed]" in text and " 10:15:42" in text


def test_labels_export_without_the_events_csv_says_how_to_export(tmp_path, capsys):
    rc = tmp_path / "rc"
    to_redcap(SAMPLE_DIR, rc)
    v.labels(rc, events_csv=False)
    assert main(["check", str(rc)]) == 2
    err = capsys.readouterr().err
    assert "holds event labels" in err and "events CSV" in err and "raw" in err
    assert len(err.strip().splitlines()) == 1
