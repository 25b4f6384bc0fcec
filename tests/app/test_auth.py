"""Sign-in, the accounts' integrity, add-user, moving an earlier users file in, and the
audit trail."""

import hashlib
import hmac
import json
import sqlite3
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rfa_dash import auth
from rfa_dash.cli import main
from tests.helpers import audit_entries

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SECRET = "another-test-secret"


@pytest.fixture()
def users(_private_state, monkeypatch):
    """Two accounts in the test's state store; yields the store's SQLite file."""
    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    auth.add_user("dana", "correct horse battery", "dsmb", "Dana@Example.org")
    auth.add_user("ian", "investigator pass 1", "investigator")
    return _private_state / "state.sqlite"


def _audit(_state=None):
    return audit_entries()


def _edit(db: Path, sql: str, *args) -> None:
    """A hand edit of the store, as someone with the file (not the key) could make."""
    con = sqlite3.connect(db)
    con.execute(sql, args)
    con.commit()
    con.close()


def test_password_is_salted_bcrypt(users):
    con = sqlite3.connect(users)
    hashes = dict(con.execute("SELECT username, password_hash FROM accounts"))
    assert hashes["dana"].startswith("$2b$12$") and b"correct" not in users.read_bytes()
    auth.add_user("dana2", "correct horse battery", "dsmb")
    again = dict(con.execute("SELECT username, password_hash FROM accounts"))
    assert again["dana2"] != again["dana"]  # same password, different salt


def test_authenticate(users):
    assert auth.authenticate("dana", "correct horse battery") == auth.User(
        "dana", "dana@example.org", "dsmb")
    assert auth.authenticate("dana", "wrong password here") is None
    assert auth.authenticate("nobody", "correct horse battery") is None


def test_an_account_edited_by_hand_is_refused(users):
    _edit(users, "UPDATE accounts SET role = 'dsmb' WHERE username = 'ian'")  # raise one's role
    with pytest.raises(auth.AuthError, match="changed outside `add-user`"):
        auth.authenticate("ian", "investigator pass 1")
    assert auth.account("ian") is None          # an open session ends
    assert auth.authenticate("dana", "correct horse battery") is not None   # others unharmed


def test_another_secret_refuses_every_account(users, monkeypatch):
    monkeypatch.setenv("RFA_DASH_SECRET", "not the secret")
    with pytest.raises(auth.AuthError, match="signature does not match"):
        auth.authenticate("dana", "correct horse battery")


def test_user_by_email(users):
    assert auth.user_by_email(" dana@EXAMPLE.org").role == "dsmb"
    assert auth.user_by_email("ian@example.org") is None


def test_add_user_cli(monkeypatch, capsys, _private_state):
    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough pw\n"))
    assert main(["add-user", "cora", "--role", "coordinator", "--password-stdin"]) == 0
    assert "cora (coordinator) added in sqlite:///" in capsys.readouterr().err
    assert auth.authenticate("cora", "a long enough pw").role == "coordinator"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long enough pw\n"))
    assert main(["add-user", "x", "--role", "king", "--password-stdin"]) == 2
    assert "unknown role" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert main(["add-user", "y", "--role", "dsmb", "--password-stdin"]) == 2
    assert main(["remove-user", "cora"]) == 0 and auth.account("cora") is None
    assert main(["remove-user", "cora"]) == 2
    actions = [(e["action"], e["detail"].split()[0]) for e in _audit()]
    assert actions == [("account_added", "cora"), ("account_removed", "cora")]


def _old_users_file(path: Path, secret: str, accounts: list[dict]) -> Path:
    """A users file as the earlier version wrote it (signed JSON)."""
    canonical = json.dumps(accounts, sort_keys=True, separators=(",", ":")).encode()
    sig = hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()
    path.write_text(json.dumps({"version": 1, "users": accounts, "signature": sig}, indent=1))
    return path


def test_an_earlier_users_file_and_audit_log_move_in_once_untouched(tmp_path, monkeypatch,
                                                                   _private_state):
    import bcrypt

    from rfa_dash import startup
    from rfa_dash.state import audit, store

    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    h = bcrypt.hashpw(b"old password 123", bcrypt.gensalt(rounds=4)).decode()
    path = _old_users_file(tmp_path / "users.json", SECRET, [
        {"username": "olga", "email": "olga@example.org", "role": "dsmb", "password_hash": h}])
    log = _private_state / "audit.log"
    log.write_text('{"time": "2026-01-02T10:00:00Z", "user": "olga", "role": "dsmb", '
                   '"action": "sign_in", "export": "", "detail": "client 10.0.0.1"}\n'
                   '{"time": "2026-01-02T10:05:00Z", "user": "ol\n')   # cut off by a full disk
    before = (path.read_bytes(), log.read_bytes())
    monkeypatch.setenv("RFA_DASH_USERS", str(path))
    assert auth.account("olga") is None          # opening the store imports nothing
    assert startup.import_earlier_files() == ["audit", "users"]   # the start-up step does
    assert auth.authenticate("olga", "old password 123") == auth.User(
        "olga", "olga@example.org", "dsmb")
    entries = _audit()
    assert [(e["action"], e["imported"]) for e in entries[:2]] == [
        ("sign_in", True), ("imported_line_unreadable", True)]
    assert entries[0]["time"] == "2026-01-02T10:00:00Z"
    assert entries[1]["detail"].startswith("line 2 of audit.log: ")
    assert {e["action"] for e in entries[2:]} == {"moved_in"}
    assert audit.verify().ok
    assert (path.read_bytes(), log.read_bytes()) == before      # left untouched
    store.forget()
    startup.forget()                                             # a new process
    assert startup.import_earlier_files() == []
    auth.authenticate("olga", "old password 123")
    assert len(_audit()) == len(entries)                         # moved in once


def test_a_tampered_earlier_users_file_is_not_moved_in(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RFA_DASH_SECRET", SECRET)
    path = _old_users_file(tmp_path / "users.json", SECRET, [
        {"username": "ian", "email": "", "role": "investigator", "password_hash": "$2b$x"}])
    path.write_text(path.read_text().replace('"investigator"', '"dsmb"'))
    monkeypatch.setenv("RFA_DASH_USERS", str(path))
    from rfa_dash import startup

    assert startup.import_earlier_files() == []
    assert auth.account("ian") is None
    assert "was not moved in: users file" in capsys.readouterr().err
    assert auth.sign_in_required()     # never demo mode while a users file is configured


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
    log = _audit()
    assert log[-1]["action"] == "sign_in" and log[-1]["user"] == "dana"
    assert log[-1]["time"].endswith("Z")


def test_sign_in_form_wrong_password_is_slow_and_plain(users, _private_state):
    start = time.monotonic()
    at = _sign_in("dana", "not the password")
    assert time.monotonic() - start >= 1.5
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert "user" not in at.session_state
    assert _audit()[-1]["action"] == "sign_in_failed"


def test_sign_in_unknown_user_gets_the_same_message(users):
    at = _sign_in("mallory", "correct horse battery")
    assert [e.value for e in at.error] == ["Wrong user name or password."]


def test_a_tampered_account_is_a_message_in_the_app(users):
    _edit(users, "UPDATE accounts SET role = 'dsmb' WHERE username = 'ian'")
    at = _sign_in("ian", "investigator pass 1")
    assert any("changed outside `add-user`" in e.value for e in at.error)
    assert "user" not in at.session_state


@pytest.mark.parametrize("change", ["role", "removed"])
def test_a_changed_or_removed_account_ends_the_session(users, _private_state, change):
    at = _sign_in("dana", "correct horse battery")
    assert at.title[0].value == "Overview"
    if change == "role":
        auth.add_user("dana", "correct horse battery", "coordinator", "dana@example.org")
    else:
        auth.remove_user("dana")
    at.run()
    assert not at.exception
    assert "user" not in at.session_state
    assert at.title[0].value == "rfa_dash: sign in"
    assert [w.value for w in at.warning] == ["Your account was changed or removed; sign in again."]
    log = _audit()
    assert (log[-1]["action"], log[-1]["user"], log[-1]["role"]) == ("signed_out", "dana", "dsmb")


def test_audit_entries_are_chained(_private_state):
    auth.audit("report_download", "dana", "dsmb", "abc", "as_of=2026-01-01")
    auth.audit("upload", "ian", "investigator", "", "screening.csv")
    lines = _audit()
    assert [x["action"] for x in lines] == ["report_download", "upload"]
    assert lines[1]["prev_hash"] == lines[0]["hash"] and lines[0]["time"].endswith("Z")


# -- issue 16: passwords bcrypt would cut, look-alike names, malformed entries, throttling
def test_password_over_72_bytes_is_refused_at_sign_in_too(users):
    long_pw = "p" * 72
    auth.add_user("lena", long_pw, "dsmb")
    assert auth.authenticate("lena", long_pw) is not None
    # bcrypt would read only the first 72 bytes: anything appended would "match"
    assert auth.authenticate("lena", long_pw + "anything") is None
    with pytest.raises(ValueError, match="at most 72 bytes"):
        auth.add_user("max", "é" * 37, "dsmb")   # 74 bytes in UTF-8


def test_user_names_are_normalized_and_look_alikes_refused(users):
    auth.add_user("\uff43\uff4f\uff52\uff41 ", "coordinator pw 1", "coordinator")
    assert auth.account("cora") is not None                 # full-width, NFKC
    assert auth.authenticate(" cora", "coordinator pw 1").username == "cora"
    for twin in ("Dana", "dаna", "dana\u0301", "d4na".replace("4", "a"), "DANA "):
        if twin.strip() == "dana":
            continue
        with pytest.raises(ValueError, match="looks like the existing 'dana'"):
            auth.add_user(twin, "some password 1", "dsmb")
    with pytest.raises(ValueError, match="looks like the existing 'ian'"):
        auth.add_user("1an", "some password 1", "dsmb")
    auth.add_user("dana", "a new password 1", "dsmb")       # replacing is fine
    with pytest.raises(ValueError, match="spaces or control"):
        auth.add_user("da na", "some password 1", "dsmb")


def test_failed_sign_ins_are_throttled_per_user_and_logged(users, _private_state,
                                                           monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    for _ in range(5):
        at = _sign_in("dana", "not the password")
        assert [e.value for e in at.error] == ["Wrong user name or password."]
    at = _sign_in("dana", "correct horse battery")     # even the right password now waits
    assert "user" not in at.session_state
    assert at.error[0].value.startswith("Too many failed sign-ins")
    log = _audit()
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


def test_one_attacker_behind_the_proxy_locks_out_only_their_own_address(users, monkeypatch):
    """Issue 37: through a trusted proxy each sign-in counts against its real address, so
    twenty wrong passwords under twenty names (dana's among them, five times) from one
    address leave dana, signing in from hers, free; the trail records both addresses."""
    from rfa_dash.ui import signin

    monkeypatch.setattr("time.sleep", lambda s: None)
    monkeypatch.setenv("RFA_DASH_TRUSTED_PROXIES", "127.0.0.1")
    here = {"xff": "198.51.100.66"}    # what nginx's X-Forwarded-For says
    monkeypatch.setattr(signin, "_client", lambda: signin.signin_guard.client_address(
        None, here["xff"], signin.settings.trusted_proxies()))
    for i in range(15):
        _sign_in(f"guess{i}", "not the password")
    for _ in range(5):
        _sign_in("dana", "not the password")
    at = _sign_in("ian", "investigator pass 1")       # the attacker's address is held up
    assert at.error and at.error[0].value.startswith("Too many failed sign-ins")
    here["xff"] = "203.0.113.5"                        # dana, at her own computer
    at = _sign_in("dana", "correct horse battery")
    assert at.session_state["user"].username == "dana"
    details = [x["detail"] for x in _audit()]
    assert "client 198.51.100.66" in details and details[-1] == "client 203.0.113.5"


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy():
    from rfa_dash.signin_guard import client_address

    xff = "10.9.9.9, 198.51.100.1"
    assert client_address("203.0.113.7", xff, []) == "203.0.113.7"
    assert client_address("203.0.113.7", xff, ["127.0.0.1"]) == "203.0.113.7"
    assert client_address(None, xff, ["127.0.0.1"]) == "198.51.100.1"
    assert client_address(None, xff, ["127.0.0.1", "198.51.100.0/24"]) == "10.9.9.9"
    assert client_address(None, "not-an-address", ["127.0.0.1"]) == "127.0.0.1"
    assert client_address(None, xff, ["bogus"]) == "127.0.0.1"      # a typo trusts nobody
    assert client_address(None, None, ["127.0.0.1"]) == "127.0.0.1"


def test_throttle_window_passes():
    from rfa_dash.signin_guard import Throttle
    from rfa_dash.state import store

    t = Throttle(max_failures=3, window_s=60, max_client_failures=3)
    keys = ["pair:a@1", "client:1"]
    for i in range(3):
        assert t.blocked(keys, now=i) == 0
        with store.transaction() as conn:
            t.failed(conn, keys, now=i)
    assert t.blocked(keys, now=3) == pytest.approx(57)
    assert t.blocked(["pair:b@1"], now=3) == 0 and t.blocked(["client:1"], now=3) > 0
    assert t.blocked(keys, now=61) == 0          # the first failure left the window
    with store.transaction() as conn:
        t.succeeded(conn, ["pair:a@1"])
    assert t.blocked(["pair:a@1"], now=3) == 0


def test_a_session_ended_by_a_restart_is_told_at_the_sign_in_form(users):
    """Issue 37: after a server restart the browser reconnected to the sign-in form without
    a word. A signed-in session's URL carries a mark; a new session that finds it says
    why the visitor must sign in again (and only once)."""
    at = _sign_in("dana", "correct horse battery")
    assert at.session_state["user"].username == "dana"
    assert at.query_params["signed_in"] in ("1", ["1"])
    fresh = AppTest.from_file(APP, default_timeout=60)     # the restarted server's session
    fresh.query_params["signed_in"] = "1"
    fresh.run()
    assert not fresh.exception and fresh.title[0].value == "rfa_dash: sign in"
    assert [i.value for i in fresh.info] == [
        "You were signed out: the dashboard's server was restarted (or your session ended). "
        "Sign in again."]
    assert "signed_in" not in fresh.query_params
    fresh.run()
    assert not fresh.info
