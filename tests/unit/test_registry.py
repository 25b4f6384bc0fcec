"""The page registry: every page once, each with its script, named by the protocol's roles."""

import re
import tomllib
from pathlib import Path

import pytest

from rfa_dash.page_registry import DEFAULT, PAGES
from rfa_dash.protocol import DEFAULT_PROTOCOL, ProtocolError, parse_protocol

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_has_its_script_and_every_script_a_page():
    assert {p.file for p in PAGES.values()} == {f"pages/{f.name}"
                                                 for f in (ROOT / "pages").glob("*.py")}


@pytest.mark.parametrize("key", list(PAGES))
def test_each_script_heads_itself_by_its_key_and_uses_its_tabs_key(key):
    text = (ROOT / PAGES[key].file).read_text(encoding="utf-8")
    assert re.search(rf'ui\.header\("{key}", ctx\)', text)
    assert ("ui.tabs(" in text) == (PAGES[key].tabs is not None)


def test_one_default_page():
    assert [k for k, p in PAGES.items() if p.default] == [DEFAULT]


def test_a_role_naming_an_unknown_page_is_an_error():
    data = tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))
    data["roles"]["dsmb"]["pages"] = [*data["roles"]["dsmb"]["pages"], "pain_scores"]
    with pytest.raises(ProtocolError, match=r"roles\.dsmb\.pages names no page: pain_scores"):
        parse_protocol(data)
