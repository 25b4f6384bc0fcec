"""The store: one database for what the dashboard records of its own.

``RFA_DASH_STATE_URL`` chooses it: unset, an SQLite file ``state.sqlite`` in
the state folder (embedded, nothing to set up); a ``postgresql://`` URL for
one or more servers sharing their state (driven by psycopg 3).

- On SQLite every writing transaction starts with ``BEGIN IMMEDIATE`` (writers
  take turns; readers go on, the journal is a write-ahead log), and each
  commit is on disk before it returns (``synchronous=FULL``).
- On PostgreSQL the writers that must take turns (the audit chain, accounts,
  claims) take an advisory lock inside their transaction.
- The schema is versioned by Alembic migrations, applied on first use; a store
  whose schema is newer than this code knows is refused with one line.

Every failure of the database reaches callers as :class:`StoreError`: one
line, the URL without its password, and a kind (busy, full, unavailable) from
which a page says what it means without naming the store (``StoreError.public``).

- **Readers never wait**: opening the store reads its schema revision in a
  reading transaction and takes the write lock only to migrate; pages read in
  reading transactions. A write waits for another writer at most
  ``RFA_DASH_STATE_WAIT_S`` (30 s), then fails with one line.
- **One clock**: times that several processes compare (notify's claims, the
  sign-in throttle) are the database's (:func:`clock`), so a server whose own
  clock is wrong cannot take another's claim early. (An SQLite store lives on one
  machine: its clock is that machine's.)

Example
-------
>>> import tempfile
>>> url = f"sqlite:///{tempfile.mkdtemp()}/state.sqlite"
>>> from rfa_dash.state import schema
>>> from sqlalchemy import select, func
>>> with transaction(url) as conn:
...     conn.execute(select(func.count()).select_from(schema.accounts)).scalar()
0
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from rfa_dash import files, settings
from rfa_dash.state.errors import Kind, StoreError

__all__ = ["StoreError", "clock", "engine", "exists", "forget", "insert", "key", "key_for", "lock",
           "reading", "retrying", "transaction", "url"]

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_S = 10      # reaching a PostgreSQL server
STATEMENT_TIMEOUT_S = 120   # any one statement on PostgreSQL
RETRY_PAUSE_S = 2.0         # before the one retry of a dropped connection

_ENGINES: dict[str, Engine] = {}
_FILES: dict[str, tuple[int, int]] = {}   # an SQLite store's file as it was opened
_LOCK = threading.Lock()


def url() -> str:
    """The configured store's URL (:func:`rfa_dash.settings.state_url`)."""
    return settings.state_url()


def shown(u: str) -> str:
    """``u`` as it may be printed: without its password."""
    try:
        return make_url(u).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable state URL)"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


# SQLSTATE classes and codes (PostgreSQL) and SQLite's messages, by what they mean to a user
_BUSY_STATES = {"55P03", "40P01", "40001"}   # lock timeout, deadlock, serialization
_FULL_STATES = {"53100", "53200", "53300"}   # disk full, out of memory, too many connections
_GONE_STATES = {"57P01", "57P02", "57P03"}   # server shutting down or starting up


def kind_of(exc: BaseException) -> Kind:
    """What a database error means to the person waiting (see :class:`StoreError`)."""
    orig = getattr(exc, "orig", None) or exc
    state = str(getattr(orig, "sqlstate", "") or "")
    text_ = str(orig).lower()
    if state in _BUSY_STATES or "database is locked" in text_ or "lock timeout" in text_:
        return "busy"
    if state in _FULL_STATES or "disk is full" in text_ or "no space left" in text_:
        return "full"
    if (state.startswith("08") or state in _GONE_STATES
            or getattr(exc, "connection_invalidated", False)
            or any(w in text_ for w in ("connection", "could not connect", "unable to open",
                                        "server closed", "terminating"))):
        return "unavailable"
    return "failed"


def _failure(u: str, exc: BaseException, verb: str = "failed") -> StoreError:
    return StoreError(f"the state store {shown(u)} {verb}: {_first_line(exc)}", kind_of(exc))


def _driver_url(u: str) -> str:
    """PostgreSQL URLs are driven by psycopg 3 (SQLAlchemy's default would be psycopg2)."""
    for scheme in ("postgresql://", "postgres://"):
        if u.startswith(scheme):
            return "postgresql+psycopg://" + u[len(scheme):]
    return u


def is_sqlite(u: str) -> bool:
    return u.startswith("sqlite:")


def sqlite_path(u: str) -> Path | None:
    """The database file of an SQLite URL (None for other stores)."""
    if not is_sqlite(u):
        return None
    db = make_url(u).database
    return Path(db) if db else None


def _open(u: str) -> Engine:
    if is_sqlite(u):
        path = sqlite_path(u)
        if path is None:
            raise StoreError("the SQLite state URL names no file")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        wait = settings.state_wait_s()
        eng = create_engine(u, connect_args={"timeout": wait})

        @event.listens_for(eng, "connect")
        def _connect(dbapi_con: Any, _record: Any) -> None:
            dbapi_con.isolation_level = None   # transactions are begun below, not by pysqlite
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            cur.close()

        @event.listens_for(eng, "begin")
        def _begin(conn: Connection) -> None:
            read = conn.get_execution_options().get("rfa_read", False)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        if path.exists():
            os.chmod(path, 0o600)
        return eng
    if not u.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise StoreError(f"{settings.STATE_URL.name} must be an sqlite:/// or postgresql:// "
                         f"URL, not {shown(u)}")
    opts = (f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000} "
            f"-c lock_timeout={int(settings.state_wait_s() * 1000)}")
    return create_engine(_driver_url(u), pool_pre_ping=True,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": opts})


def _migrate(eng: Engine, u: str) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    known = {r.revision for r in script.walk_revisions()}
    head = script.get_current_head()
    # read first: a store at the head needs no write lock (opening it never waits behind
    # a writer, such as a backup holding the lock)
    with eng.connect().execution_options(rfa_read=True) as conn, conn.begin():
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
    with eng.begin() as conn:
        lock(conn, "migrate")
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and current not in known:
            raise StoreError(f"the state store {shown(u)} has schema revision {current}, newer "
                             f"than this rfa_dash knows (up to {head}): install the newer "
                             "rfa_dash, or restore a backup made before the upgrade")
        if current != head:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def engine(u: str | None = None) -> Engine:
    """The store's engine, opened and migrated once per process (importing an earlier
    version's files is a start-up step of its own, :mod:`rfa_dash.startup`).

    Raises
    ------
    StoreError
        Unreachable, unreadable, or a schema newer than this code.
    """
    u = u or url()
    with _LOCK:
        eng = _ENGINES.get(u)
        if eng is not None:
            return eng
        try:
            eng = _open(u)
            _migrate(eng, u)
        except StoreError:
            raise
        except (SQLAlchemyError, OSError) as exc:
            raise _failure(u, exc, "cannot be opened") from None
        _ENGINES[u] = eng
        path = sqlite_path(u)
        if path is not None:
            st = path.stat()
            _FILES[u] = (st.st_dev, st.st_ino)
    return eng


def exists(u: str | None = None) -> bool:
    """Whether the store ``u`` has been made (an SQLite file, or PostgreSQL tables), without
    making it: the commands that only read it refuse a missing one instead of starting
    afresh (an empty trail would verify, an empty ledger would send every alert again).

    Raises
    ------
    StoreError
        A PostgreSQL server that cannot be reached.
    """
    u = u or url()
    if is_sqlite(u):
        path = sqlite_path(u)
        return path is not None and path.is_file()
    from sqlalchemy import inspect

    eng = None
    try:
        eng = _open(u)
        with eng.connect() as conn:
            return bool(inspect(conn).has_table("alembic_version"))
    except SQLAlchemyError as exc:
        raise _failure(u, exc, "cannot be opened") from None
    finally:
        if eng is not None:
            eng.dispose()


def _same_file(u: str) -> None:
    """An SQLite store whose file was removed or replaced under a running process is not
    the one it opened: writing on would go into a file nobody reads."""
    opened = _FILES.get(u)
    path = sqlite_path(u)
    if opened is None or path is None:
        return
    try:
        st = path.stat()
        now = (st.st_dev, st.st_ino)
    except OSError:
        now = None
    if now != opened:
        raise StoreError(f"the state store {shown(u)} was "
                         f"{'removed' if now is None else 'replaced'} while this process had "
                         "it open: nothing more is recorded until the process is restarted",
                         "unavailable")


def forget(u: str | None = None) -> None:
    """Close the engine of ``u`` (all when None): the next use opens the store afresh."""
    with _LOCK:
        for k in list(_ENGINES) if u is None else [u]:
            _FILES.pop(k, None)
            eng = _ENGINES.pop(k, None)
            if eng is not None:
                eng.dispose()


@contextmanager
def transaction(u: str | None = None) -> Iterator[Connection]:
    """A writing transaction: committed when the block ends, rolled back on any error.

    Database errors become :class:`StoreError`; the block's own exceptions pass through.
    """
    u = u or url()
    eng = engine(u)
    _same_file(u)
    try:
        with eng.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise _failure(u, exc) from None


@contextmanager
def reading(u: str | None = None) -> Iterator[Connection]:
    """A reading transaction (on SQLite it does not wait for writers)."""
    u = u or url()
    eng = engine(u)
    _same_file(u)
    try:
        with eng.connect().execution_options(rfa_read=True) as conn, conn.begin():
            yield conn
    except SQLAlchemyError as exc:
        raise _failure(u, exc) from None


def retrying(work: Callable[[], T]) -> T:
    """``work()``, run a second time (after a short pause) when the first failed because
    the database could not be reached or the connection dropped (a server restarted).

    Only for work that is safe to repeat: its transaction either committed or left
    nothing, and running it again after a commit changes nothing (notify's claim,
    record and release check what their own run already wrote). Any other failure,
    and a second one, is raised.

    Example
    -------
    >>> retrying(lambda: 42)
    42
    """
    try:
        return work()
    except StoreError as exc:
        if exc.kind != "unavailable":
            raise
    time.sleep(RETRY_PAUSE_S)
    return work()


def clock(conn: Connection) -> float:
    """The database's time now, in seconds since the epoch: the one clock that every
    process using the store agrees on (PostgreSQL's; an SQLite store's machine's).

    Example
    -------
    >>> import tempfile
    >>> u = f"sqlite:///{tempfile.mkdtemp()}/state.sqlite"
    >>> with reading(u) as conn:
    ...     abs(clock(conn) - time.time()) < 5
    True
    """
    if conn.dialect.name == "postgresql":
        q = "SELECT EXTRACT(EPOCH FROM clock_timestamp())"
    else:
        q = "SELECT (julianday('now') - 2440587.5) * 86400.0"
    return float(conn.execute(text(q)).scalar_one())


def lock(conn: Connection, name: str) -> None:
    """Writers of ``name`` take turns until the transaction ends (PostgreSQL: an advisory
    lock; SQLite: every writing transaction already holds the database's write lock)."""
    if conn.dialect.name == "postgresql":
        n = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": n})


_WARNED: set[Path] = set()


def _warn_if_shared(kf: Path) -> None:
    """Once per process: a key file beside the store on a network file system travels with
    every copy of the trail it signs (whoever reads the share can forge the trail)."""
    kind = files.filesystem_type(kf.parent)
    if kind in files.NETWORK_FS and kf.parent not in _WARNED:
        _WARNED.add(kf.parent)
        print(f"rfa_dash: warning: the audit trail's key {kf} is on a shared disk ({kind}), "
              f"beside the store it signs: set {settings.SECRET.name} in the service's "
              "environment instead (docs/deploy.md)", file=sys.stderr)


def insert(conn: Connection, table: Any) -> Any:
    """An INSERT of the connection's dialect (it has ``on_conflict_do_nothing``)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def key_for(conn: Connection) -> bytes:
    """:func:`key` of the store ``conn`` belongs to."""
    return key(conn.engine.url.render_as_string(hide_password=False))


def key(u: str | None = None) -> bytes:
    """The key of the accounts' signatures and the audit chain.

    ``RFA_DASH_SECRET`` when set. Without it, an SQLite store keeps a random
    key in ``secret.key`` beside its file (readable by the server's user only);
    a PostgreSQL store, shared by servers, needs the same secret on each.
    """
    s = settings.secret()
    if s:
        return s.encode("utf-8")
    u = u or url()
    path = sqlite_path(u)
    if path is None:
        raise StoreError(f"{settings.SECRET.name} is not set: a PostgreSQL state store needs "
                         "the same secret on every server")
    kf = path.parent / "secret.key"
    _warn_if_shared(kf)
    if not kf.exists():
        # written whole under a private name, then linked into place: two servers starting
        # at once agree on one key, and none reads a half-written one
        tmp = kf.with_name(f".secret.key.{os.getpid()}.{threading.get_ident()}")
        try:
            tmp.unlink(missing_ok=True)   # left by a killed process of the same number
            files.write_new(tmp, secrets.token_hex(32).encode(), 0o600)
            try:
                os.link(tmp, kf)
            except FileExistsError:
                pass
        except OSError as exc:
            raise StoreError(f"cannot create the key file {kf}: {exc.strerror}") from None
        finally:
            tmp.unlink(missing_ok=True)
    return kf.read_bytes().strip()
