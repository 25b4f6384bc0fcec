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


# -- issue 16: passwords bcrypt would cut, look-alike names, malformed entries, throttling
def test_password_over_72_bytes_is_refused_at_sign_in_too(users):
    long_pw = "p" * 72
    auth.add_user(users, "lena", long_pw, "dsmb")
    assert auth.authenticate(users, "lena", long_pw) is not None
    # bcrypt would read only the first 72 bytes: anything appended would "match"
    assert auth.authenticate(users, "lena", long_pw + "anything") is None
    with pytest.raises(ValueError, match="at most 72 bytes"):
        auth.add_user(users, "max", "é" * 37, "dsmb")   # 74 bytes in UTF-8


def test_user_names_are_normalized_and_look_alikes_refused(users):
    auth.add_user(users, "\uff43\uff4f\uff52\uff41 ", "coordinator pw 1", "coordinator")
    assert auth.account(users, "cora") is not None                 # full-width, NFKC
    assert auth.authenticate(users, " cora", "coordinator pw 1").username == "cora"
    for twin in ("Dana", "dаna", "dana\u0301", "d4na".replace("4", "a"), "DANA "):
        if twin.strip() == "dana":
            continue
        with pytest.raises(ValueError, match="looks like the existing 'dana'"):
            auth.add_user(users, twin, "some password 1", "dsmb")
    with pytest.raises(ValueError, match="looks like the existing 'ian'"):
        auth.add_user(users, "1an", "some password 1", "dsmb")
    auth.add_user(users, "dana", "a new password 1", "dsmb")       # replacing is fine
    with pytest.raises(ValueError, match="spaces or control"):
        auth.add_user(users, "da na", "some password 1", "dsmb")


def test_signed_file_with_a_malformed_entry_is_a_message(users, monkeypatch):
    from rfa_dash.auth import _sign

    for bad in ([{"username": "x"}], ["not an account"], [{"username": "x", "role": "dsmb",
                                                            "password_hash": 7}]):
        users.write_text(json.dumps({"version": 1, "users": bad, "signature": _sign(bad)}))
        with pytest.raises(auth.AuthError, match="entry 1"):
            auth.authenticate(users, "x", "whatever password")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception and any("entry 1" in e.value for e in at.error)


def test_failed_sign_ins_are_throttled_per_user_and_logged(users, _private_state,
                                                           monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    for _ in range(5):
        at = _sign_in("dana", "not the password")
        assert [e.value for e in at.error] == ["Wrong user name or password."]
    at = _sign_in("dana", "correct horse battery")     # even the right password now waits
    assert "user" not in at.session_state
    assert at.error[0].value.startswith("Too many failed sign-ins")
    log = _audit(_private_state)
    assert [x["action"] for x in log[-6:]] == ["sign_in_failed"] * 5 + ["sign_in_throttled"]
    assert all(x["detail"].startswith("client ") for x in log[-6:])
    # another user from the same client is not held up by dana's five...
    at = _sign_in("ian", "investigator pass 1")
    assert at.session_state["user"].username == "ian"
    # ...but twenty failures from one client, on any names, hold up everyone there
    for i in range(15):
        _sign_in(f"guess{i}", "not the password")
    at = _sign_in("ian", "investigator pass 1")
    assert at.error and at.error[0].value.startswith("Too many failed sign-ins")


def test_throttle_window_passes():
    from rfa_dash.signin_guard import Throttle

    t = Throttle(max_failures=3, window_s=60, max_client_failures=3)
    keys = ["user:a", "client:1"]
    for i in range(3):
        assert t.blocked(keys, now=i) == 0
        t.failed(keys, now=i)
    assert t.blocked(keys, now=3) == pytest.approx(57)
    assert t.blocked(["user:b"], now=3) == 0 and t.blocked(["client:1"], now=3) > 0
    assert t.blocked(keys, now=61) == 0          # the first failure left the window
    t.succeeded(["user:a"])
    assert t.blocked(["user:a"], now=3) == 0
