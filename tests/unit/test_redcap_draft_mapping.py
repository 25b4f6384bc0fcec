"""redcap-mapping (issue 26): a draft mapping from a genuine project's own metadata, each
line saying why and how sure, what could not be placed listed at the end. On REDCap's
2-arm longitudinal demo (tests/data/redcap/longitudinal, from REDCapR) the draft is a few
edits away from the mapping written by hand, docs/examples/redcap-demo-2-arms.toml."""

import shutil
import tomllib
from pathlib import Path

from rfa_dash.cli import main
from rfa_dash.ingest.redcap.draft import draft
from rfa_dash.ingest.redcap.importer import import_folder

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "data" / "redcap" / "longitudinal"
BY_HAND = ROOT / "docs" / "examples" / "redcap-demo-2-arms.toml"
EDITS = 2   # docs/redcap.md says so


def _entries(mapping: dict) -> dict[tuple, object]:
    """A mapping as (table, key) -> value: one entry per line a person would edit."""
    out: dict[tuple, object] = {}
    for k, v in mapping.get("redcap", {}).items():
        out[("redcap", k)] = sorted(v) if isinstance(v, list) else v
    for t, cfg in mapping.get("tables", {}).items():
        for k, v in cfg.items():
            if k != "fields":
                out[(t, k)] = v
        for col, spec in cfg.get("fields", {}).items():
            out[(t, "fields", col)] = spec
    return out


def edits(a: dict, b: dict) -> list[tuple]:
    ea, eb = _entries(a), _entries(b)
    return sorted((k for k in ea.keys() | eb.keys() if ea.get(k) != eb.get(k)), key=str)


def test_the_demo_draft_is_two_edits_from_the_mapping_written_by_hand():
    text = draft(DEMO)
    got = tomllib.loads(text)
    diff = edits(got, tomllib.loads(BY_HAND.read_text(encoding="utf-8")))
    assert len(diff) == EDITS, diff
    # the two: lab values the demo's baseline forms hold, which the mapping written by hand
    # leaves out
    assert diff == [("screening", "fields", "albumin"), ("screening", "fields", "creatinine")]
    for line in text.splitlines():      # every placed line says why and how sure
        if " = " in line and not line.startswith(("#", "ignore_events", "[")):
            assert "#" in line and any(w in line for w in ("(sure)", "(likely", "(a guess")), line


def test_what_could_not_be_placed_is_listed_at_the_end():
    text = draft(DEMO)
    tail = text[text.index("# Not placed"):]
    assert "sre_events: event_date, sre_type not found (a required table" in tail
    assert "adverse_events: onset_date, term, grade not found (an optional table)" in tail
    assert '# empty_tables = ["sre_events"]' in text


def test_the_draft_reads_and_check_points_to_the_command(tmp_path, capsys):
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    assert main(["check", str(folder)]) == 2
    assert f"redcap-mapping {folder} --out {folder / 'mapping.toml'}` drafts one" in \
        capsys.readouterr().err
    assert main(["redcap-mapping", str(folder), "--out", str(folder / "mapping.toml")]) == 0
    assert main(["redcap-mapping", str(folder), "--out", str(folder / "mapping.toml")]) == 2
    assert "never replaces a mapping" in capsys.readouterr().err
    imported = import_folder(folder)     # the draft is a valid mapping of this project
    assert len(imported.tables["randomization"]["arm"]) > 0
    assert set(imported.tables["randomization"]["arm"].to_pylist()) == {"rfa_rt", "rt_alone"}
