"""Issue 26: a data dictionary with a rich-text label longer than Python's default CSV field
limit (131,072 characters), as consent and instruction pages pasted into a descriptive
field give, reads like any other."""

import csv
import io
import shutil

from rfa_dash.cli.main import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.ingest.redcap.importer import import_folder

LABEL = "<table><tr><td>" + "Consent text. " * 15_000 + "</td></tr></table>"   # 210,000 chars


def _with_rich_text(tmp_path):
    folder = tmp_path / "rc"
    shutil.copytree(SAMPLE_DIR / "redcap", folder)
    path = folder / "redcap_data_dictionary.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    form = rows[1][1]
    row = [""] * len(rows[0])
    row[0], row[1], row[3], row[4] = "consent_text", form, "descriptive", LABEL
    rows.insert(2, row)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    assert len(LABEL) > 131_072
    return folder


def test_a_dictionary_with_a_huge_rich_text_label_imports(tmp_path):
    imported = import_folder(_with_rich_text(tmp_path))
    assert not [p for p in imported.problems if p.severity == "error"]
    reference = import_folder(SAMPLE_DIR / "redcap")
    def rows(tables):
        return {t: len(next(iter(cols.values()))) if cols else 0 for t, cols in tables.items()}

    assert rows(imported.tables) == rows(reference.tables)


def test_check_and_the_app_source_read_it(tmp_path, capsys):
    folder = _with_rich_text(tmp_path)
    assert main(["check", str(folder)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    exp = open_export(folder)
    assert exp.n_errors == 0
    exp.close()
