"""The docs say what the code does (in the manner of datasette's tests/test_docs.py):
every path docs/architecture.md names exists; every command is in the README and every
command the docs name exists; every setting the docs name exists; the command-line
reference is the parser's own; the SQL built in Python is only where the doc says."""

import ast
import re
from pathlib import Path

import pytest

from rfa_dash import settings
from rfa_dash.cli import reference

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ARCH = ROOT / "docs" / "architecture.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _text(p: Path) -> str:
    return p.read_text(encoding="utf-8")


def test_the_cli_reference_is_written_from_the_parser():
    assert _text(ROOT / "docs" / "cli.md") == reference.markdown(), (
        "docs/cli.md differs from the parser: run "
        "`.venv/bin/python -m rfa_dash.cli.reference > docs/cli.md`")


def test_every_command_is_in_the_readme_and_every_named_command_exists():
    commands = set(reference.commands())
    block = _text(README).split("## Command line", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"python -m rfa_dash ([a-z][a-z-]*)", block))
    assert listed == commands, "README's Command line section and the parser differ"
    assert "docs/cli.md" in block
    for doc in DOCS:
        for name in re.findall(r"python -m rfa_dash ([a-z][a-z-]*)", _text(doc)):
            assert name in commands, f"{doc.name} names a command that does not exist: {name}"


PATH = re.compile(r"`((?:[\w.-]+/)+[\w.<>*-]*|[\w-]+\.(?:py|sql|md|toml))`")


BASES = (ROOT, ROOT / "rfa_dash", ROOT / "rfa_dash" / "sql")


def _exists(p: str) -> bool:
    if "<" in p or "*" in p:     # a pattern (`pages/<key>.py`): its folder exists
        p = p.split("<")[0].split("*")[0].rsplit("/", 1)[0] if "/" in p else ""
    return p == "" or any((base / p).exists() for base in BASES)


def test_every_path_the_architecture_page_names_exists():
    named = PATH.findall(_text(ARCH))
    assert len(named) > 40
    missing = sorted({p for p in named if not _exists(p)})
    assert missing == []


def test_every_setting_the_docs_name_exists():
    known = {s.name for s in settings.SETTINGS}
    for doc in DOCS:
        named = set(re.findall(r"\bRFA_DASH_[A-Z_]*[A-Z]\b", _text(doc)))
        assert named <= known, f"{doc.name} names settings that do not exist: {named - known}"


SQL = re.compile(r"^\s*(SELECT|CREATE|INSERT|UPDATE|DELETE|ALTER|DESCRIBE|COPY|DROP|WITH)\b",
                 re.IGNORECASE)


def _builds_sql(path: Path) -> bool:
    """Whether a module builds SQL from pieces: an f-string, or a string joined to others,
    that starts like a statement."""
    for node in ast.walk(ast.parse(_text(path))):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and SQL.match(str(first.value)):
                return True
        if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) \
                and isinstance(node.left.value, str) and SQL.match(node.left.value):
            return True
    return False


def test_sql_is_built_in_python_only_where_the_doc_says():
    section = _text(ARCH).split("## SQL", 1)[1].split("\n## ", 1)[0]
    allowed = {p for p in PATH.findall(section) if p.endswith(".py")}
    builders = {p.relative_to(ROOT / "rfa_dash").as_posix()
                for p in (ROOT / "rfa_dash").rglob("*.py")
                if "state" not in p.parts and _builds_sql(p)}
    assert builders, "the check found no SQL built in Python at all"
    assert builders <= allowed, f"SQL built in Python the doc does not name: {builders - allowed}"


@pytest.mark.parametrize("claim", [
    "kept warm",                       # the chart renderer
    "the code that converts",          # the REDCap conversion's cache key
])
def test_claims_the_code_made_true_stay_written(claim):
    assert claim in _text(ARCH)
