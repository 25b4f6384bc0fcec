"""Sign-in, the users file's integrity, add-user, and the append-only audit log."""

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rfa_dash import auth
from rfa_dash.cli import main

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SECRET = "another-test-secret"


@pytest.fixture()
def users(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    auth.add_user(path, "dana", "correct horse battery", "dsmb", "Dana@Example.org")
    auth.add_user(path, "ian", "investigator pass 1", "investigator")
    monkeypatch.setenv("RFA_DASH_USERS", str(path))
    return path


def _audit(state):
    return [json.loads(x) for x in (state / "audit.log").read_text().splitlines()]


def test_password_is_salted_bcrypt(users):
    data = json.loads(users.read_text())
    hashes = {u["username"]: u["password_hash"] for u in data["users"]}
    assert hashes["dana"].startswith("$2b$12$") and "correct" not in users.read_text()
    auth.add_user(users, "dana2", "correct horse battery", "dsmb")
    again = {u["username"]: u["password_hash"] for u in json.loads(users.read_text())["users"]}
    assert again["dana2"] != again["dana"]  # same password, different salt


def test_authenticate(users):
    assert auth.authenticate(users, "dana", "correct horse battery") == auth.User(
        "dana", "dana@example.org", "dsmb")
    assert auth.authenticate(users, "dana", "wrong password here") is None
    assert auth.authenticate(users, "nobody", "correct horse battery") is None


def test_tampered_users_file_is_refused(users):
    data = json.loads(users.read_text())
    for u in data["users"]:
        if u["username"] == "ian":
            u["role"] = "dsmb"  # raise one's own role by hand
    users.write_text(json.dumps(data))
    with pytest.raises(auth.AuthError, match="changed outside `add-user`"):
        auth.authenticate(users, "ian", "investigator pass 1")


def test_wrong_secret_is_refused(users, monkeypatch):
    monkeypatch.setenv("RFA_DASH_SECRET", "not the secret")
    with pytest.raises(auth.AuthError, match="signature does not match"):
        auth.load_users(users)


def test_missing_secret_and_malformed_file(tmp_path, monkeypatch):
    p = tmp_path / "u.json"
    p.write_text("{}")
    monkeypatch.delenv("RFA_DASH_SECRET", raising=False)
    with pytest.raises(auth.AuthError):
        auth.load_users(p)
    monkeypatch.setenv("RFA_DASH_SECRET", "x")
    with pytest.raises(auth.AuthError, match="malformed"):
        auth.load_users(p)


def test_user_by_email(users):
    assert auth.user_by_email(users, " dana@EXAMPLE.org").role == "dsmb"
    assert auth.user_by_email(users, "ian@example.org") is None


def test_add_user_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    path = tmp_path / "u.json"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough pw\n"))
    assert main(["add-user", "cora", "--role", "coordinator", "--users", str(path),
                 "--password-stdin"]) == 0
    assert auth.authenticate(path, "cora", "a long enough pw").role == "coordinator"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough pw\n"))
    assert main(["add-user", "x", "--role", "king", "--users", str(path),
                 "--password-stdin"]) == 2
    assert "unknown role" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert main(["add-user", "y", "--role", "dsmb", "--users", str(path),
                 "--password-stdin"]) == 2


def _sign_in(username, password):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value == "rfa_dash: sign in"
    at.text_input(key="signin_user").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()
    at.run()
    assert not at.exception
    return at


def test_sign_in_form_right_password(users, _private_state):
    at = _sign_in("dana", "correct horse battery")
    assert at.session_state["user"].role == "dsmb"
    assert at.title[0].value == "Overview"
    log = _audit(_private_state)
    assert log[-1]["action"] == "sign_in" and log[-1]["user"] == "dana"
    assert log[-1]["time"].endswith("Z")


def test_sign_in_form_wrong_password_is_slow_and_plain(users, _private_state):
    start = time.monotonic()
    at = _sign_in("dana", "not the password")
    assert time.monotonic() - start >= 1.5
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert "user" not in at.session_state
    assert _audit(_private_state)[-1]["action"] == "sign_in_failed"


def test_sign_in_unknown_user_gets_the_same_message(users):
    at = _sign_in("mallory", "correct horse battery")
    assert [e.value for e in at.error] == ["Wrong user name or password."]


def test_tampered_file_disables_sign_in_in_the_app(users):
    users.write_text(users.read_text().replace('"investigator"', '"dsmb"'))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("changed outside `add-user`" in e.value for e in at.error)
    assert not at.text_input  # no form to try passwords on


@pytest.mark.parametrize("change", ["role", "removed"])
def test_a_changed_or_removed_account_ends_the_session(users, _private_state, change):
    at = _sign_in("dana", "correct horse battery")
    assert at.title[0].value == "Overview"
    if change == "role":
        auth.add_user(users, "dana", "correct horse battery", "coordinator", "dana@example.org")
    else:
        data = json.loads(users.read_text())
        data["users"] = [u for u in data["users"] if u["username"] != "dana"]
        data["signature"] = auth._sign(data["users"])
        users.write_text(json.dumps(data))
    at.run()
    assert not at.exception
    assert "user" not in at.session_state
    assert at.title[0].value == "rfa_dash: sign in"
    assert [w.value for w in at.warning] == ["Your account was changed or removed; sign in again."]
    log = _audit(_private_state)
    assert (log[-1]["action"], log[-1]["user"], log[-1]["role"]) == ("signed_out", "dana", "dsmb")


def test_audit_log_is_append_only_lines(_private_state):
    auth.audit("report_download", "dana", "dsmb", "abc", "as_of=2026-01-01")
    auth.audit("upload", "ian", "investigator", "", "screening.csv")
    lines = _audit(_private_state)
    assert [x["action"] for x in lines] == ["report_download", "upload"]
    assert set(lines[0]) == {"time", "user", "role", "action", "export", "detail"}
