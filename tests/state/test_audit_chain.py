"""The audit trail on SQLite and on a real PostgreSQL server: append-only in the database,
and every kind of edit found by verify-audit (issue 25)."""

import pytest

from rfa_dash.state import audit, store
from tests.state.helpers import cli, raw, tamper


@pytest.fixture()
def trail(state_url):
    """Five entries: sign-ins, a failed one, a download."""
    for action, user in [("sign_in", "dana"), ("sign_in_failed", "mallory"),
                         ("sign_in", "ian"), ("report_download", "dana"), ("sign_out", "dana")]:
        with store.transaction() as conn:
            audit.append(conn, action, user, "dsmb", detail="client 127.0.0.1")
    store.forget()
    return state_url


def test_an_intact_trail_verifies_with_its_count(trail):
    r = cli("verify-audit")
    assert (r.returncode, r.stdout.strip()) == (
        0, "rfa_dash: the audit trail is intact: 5 entries checked")


def test_the_database_refuses_to_change_or_delete_an_entry(trail):
    for sql in ('UPDATE audit SET "user" = \'x\' WHERE seq = 2', "DELETE FROM audit WHERE seq = 2"):
        with pytest.raises(Exception, match="append-only"):
            raw(trail, sql)
    assert audit.verify().ok


@pytest.mark.parametrize("edit, first_break", [
    # a changed user name
    (['UPDATE audit SET "user" = \'someone\' WHERE seq = 2'],
     r"audit entry 2 \(.* sign_in_failed by someone\) was changed after it was written"),
    # a deleted failed sign-in
    (["DELETE FROM audit WHERE seq = 2"],
     "audit entry 2 is missing: the entry after 1 is 3"),
    # an entry inserted (the later ones renumbered to make room)
    (["UPDATE audit SET seq = seq + 10 WHERE seq >= 3",
      "UPDATE audit SET seq = seq - 9 WHERE seq >= 13",
      "INSERT INTO audit SELECT 3, time, 'ghost', role, action, export, detail, imported, "
      "key_id, prev_hash, hash FROM audit WHERE seq = 2"],
     r"audit entry 3 \(.* by ghost\) was changed after it was written"),
    # two entries swapped
    (["UPDATE audit SET seq = 100 WHERE seq = 3", "UPDATE audit SET seq = 3 WHERE seq = 4",
      "UPDATE audit SET seq = 4 WHERE seq = 100"],
     "audit entry 3 .* was changed after it was written"),
    # the last entries cut off
    (["DELETE FROM audit WHERE seq >= 4"],
     "the trail ends at entry 3, but entry 5 was written: entries 4 to 5 were cut off"),
    # the head moved back to hide the cut (its signature no longer matches)
    (["DELETE FROM audit WHERE seq >= 4", "UPDATE audit_head SET seq = 3, "
      "hash = (SELECT hash FROM audit WHERE seq = 3)"],
     "the trail's head record was changed after it was written"),
])
def test_every_kind_of_edit_is_found(trail, edit, first_break):
    import re

    tamper(trail, *edit)
    r = cli("verify-audit")
    assert r.returncode == 1, r.stdout + r.stderr
    line = r.stdout.strip()
    assert len(line.splitlines()) == 1 and re.search(first_break, line), line


def test_another_key_is_named(trail, monkeypatch):
    r = cli("verify-audit", env={"RFA_DASH_SECRET": "a different secret"})
    assert r.returncode == 1
    assert "audit entry 1 " in r.stdout and "was signed with another key" in r.stdout
    assert "a different secret" not in r.stdout + r.stderr


def test_a_store_with_a_newer_schema_is_refused_with_one_line(trail):
    raw(trail, "UPDATE alembic_version SET version_num = '9999'")
    r = cli("verify-audit")
    assert r.returncode == 2
    err = r.stderr.strip()
    from alembic.script import ScriptDirectory

    from rfa_dash.state import store

    head = ScriptDirectory(str(store.MIGRATIONS)).get_current_head()
    assert len(err.splitlines()) == 1 and "has schema revision 9999, newer than this " \
        f"rfa_dash knows (up to {head})" in err and "Traceback" not in err


def test_an_unreachable_store_is_one_line_without_its_password(monkeypatch):
    r = cli("verify-audit", env={"RFA_DASH_STATE_URL":
                                 "postgresql://rfa:hunter2secret@127.0.0.1:1/rfa",
                                 "RFA_DASH_SECRET": "x"})
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "cannot be opened" in r.stderr
    assert "hunter2secret" not in r.stderr and "***" in r.stderr


def test_a_missing_store_is_an_error_never_a_fresh_start(tmp_path, pg_server):
    """Issue 37: verify-audit given a store URL where nothing is (a cron job with the secret
    but not the URL) made an empty store and said "intact: 0 entries" (exit 0)."""
    gone = tmp_path / "nowhere" / "state.sqlite"
    for command in (["verify-audit"], ["cuts"],
                    ["backup-state", "--out", str(tmp_path / "b.sqlite")]):
        r = cli(*command, env={"RFA_DASH_STATE_URL": f"sqlite:///{gone}",
                               "RFA_DASH_SECRET": "x"})
        assert r.returncode == 2, (command, r)
        assert "there is no state store at sqlite:///" in r.stderr and "not created" in r.stderr
        assert not gone.exists() and not gone.parent.exists()
    empty_pg = pg_server.create("never_used")        # a database with no tables
    r = cli("verify-audit", env={"RFA_DASH_STATE_URL": empty_pg, "RFA_DASH_SECRET": "x"})
    assert r.returncode == 2 and "there is no state store" in r.stderr
    assert pg_server.psql("never_used", "SELECT count(*) FROM pg_tables WHERE schemaname = "
                          "'public'").strip() == "0"


def test_an_empty_trail_does_not_pass_quietly(state_url):
    store.engine()       # made, but nothing recorded
    store.forget()
    r = cli("verify-audit")
    assert r.returncode == 1 and "holds no audit trail (0 entries)" in r.stdout


def test_a_store_file_replaced_under_a_running_process_is_noticed(tmp_path, monkeypatch):
    import os
    import shutil

    path = tmp_path / "s" / "state.sqlite"
    monkeypatch.setenv("RFA_DASH_STATE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("RFA_DASH_SECRET", "x")
    with store.transaction() as conn:
        audit.append(conn, "sign_in", "dana", "dsmb")
    shutil.copy(path, tmp_path / "copy.sqlite")
    os.replace(tmp_path / "copy.sqlite", path)          # another file in its place
    with pytest.raises(store.StoreError, match="was replaced while this process"):
        with store.reading():
            pass
    path.unlink()
    with pytest.raises(store.StoreError, match="was removed while this process"):
        with store.transaction() as conn:
            audit.append(conn, "sign_in", "ian", "dsmb")
    store.forget()                                       # a restart: a new store, knowingly
    with store.transaction() as conn:
        audit.append(conn, "sign_in", "ian", "dsmb")


def test_a_key_file_beside_the_store_on_a_shared_disk_is_warned_of(tmp_path, monkeypatch,
                                                                   capsys):
    """Issue 37: secret.key sits beside state.sqlite; on a network share every copy of the
    folder carries the key with the trail it signs."""
    from rfa_dash import files

    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n"
                      f"srv:/export {tmp_path / 'share'} nfs4 rw 0 0\n")
    assert files.filesystem_type(tmp_path / "share" / "state", mounts) == "nfs4"
    assert files.filesystem_type(tmp_path / "elsewhere", mounts) == "ext4"
    monkeypatch.delenv("RFA_DASH_SECRET", raising=False)
    monkeypatch.setattr(files, "filesystem_type", lambda p, m=mounts: "nfs4")
    (tmp_path / "share").mkdir()
    u = f"sqlite:///{tmp_path / 'share' / 'state.sqlite'}"
    store.key(u)
    store.key(u)
    err = capsys.readouterr().err
    assert err.count("is on a shared disk (nfs4)") == 1 and "RFA_DASH_SECRET" in err
