"""Settings from the environment: one module reads them, and the README lists every one."""

import re
from pathlib import Path

from rfa_dash import settings

ROOT = Path(__file__).resolve().parents[2]


def _settings_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Settings")
    return text[start:text.index("\n## ", start + 1)]


def test_every_setting_is_in_the_readme_table():
    table = _settings_table()
    missing = [s.name for s in settings.SETTINGS if f"`{s.name}" not in table]
    assert not missing, f"add to the README's settings table: {missing}"


def test_the_readme_table_names_no_unknown_setting():
    named = set(re.findall(r"RFA_DASH_[A-Z_]+", _settings_table()))
    assert named <= {s.name for s in settings.SETTINGS}


def test_only_the_settings_module_reads_the_environment():
    readers = []
    for path in sorted((ROOT / "rfa_dash").rglob("*.py")) + [ROOT / "app.py",
                                                            *(ROOT / "pages").glob("*.py")]:
        if path.name == "settings.py":
            continue
        if re.search(r"os\.environ|os\.getenv", path.read_text(encoding="utf-8")):
            readers.append(str(path.relative_to(ROOT)))
    assert not readers, f"read the environment through rfa_dash.settings: {readers}"


def test_state_folder_rule(monkeypatch, tmp_path):
    for s in settings.SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert settings.state_dir() == tmp_path / "xdg" / "rfa_dash"
    assert settings.cuts_dir() == tmp_path / "xdg" / "rfa_dash" / "cuts"
    monkeypatch.setenv("RFA_DASH_USERS", str(tmp_path / "srv" / "users.json"))
    assert settings.audit_log() == tmp_path / "srv" / "audit.log"
    assert settings.cuts_dir() == tmp_path / "srv" / "cuts"
    monkeypatch.setenv("RFA_DASH_AUDIT_LOG", str(tmp_path / "a.log"))
    assert settings.audit_log() == tmp_path / "a.log"
