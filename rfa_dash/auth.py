"""Local accounts, kept in the state store, and the audit trail's entry point.

An account is a row of the store's ``accounts`` table: user name, e-mail,
role, salted bcrypt hash, and a signature (HMAC-SHA256 with the store's key,
``RFA_DASH_SECRET``) over those four. A row changed by hand (a role raised, a
hash swapped) no longer matches: that account cannot sign in until
``add-user`` saves it again. Adding, changing and removing an account are
transactions, each with its audit entry.

Sign-in is required once the store holds an account, or when
``RFA_DASH_USERS`` names an earlier version's users file (moved into the
store on first start); otherwise the app runs in demo mode (role picker,
bundled synthetic sample only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from rfa_dash import settings, signin_guard
from rfa_dash.state import audit as trail
from rfa_dash.state import schema, store

MAX_PASSWORD_BYTES = 72  # bcrypt's limit
# a hash of a random password, checked for unknown users so they take as long as known ones
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=12))


class AuthError(Exception):
    """An account or an earlier users file cannot be used (tampered, unreadable)."""


@dataclass(frozen=True)
class User:
    username: str
    email: str
    role: str


def _sign(key: bytes, username: str, email: str, role: str, password_hash: str) -> str:
    canonical = json.dumps([username, email, role, password_hash], ensure_ascii=False,
                           separators=(",", ":")).encode("utf-8")
    return hmac.new(key, b"account\0" + canonical, hashlib.sha256).hexdigest()


def insert_account(conn: Connection, username: str, email: str, role: str,
                   password_hash: str) -> None:
    """Write (or replace) one signed account row in the caller's transaction."""
    sig = _sign(store.key_for(conn), username, email, role, password_hash)
    conn.execute(schema.accounts.delete().where(schema.accounts.c.username == username))
    conn.execute(schema.accounts.insert().values(username=username, email=email, role=role,
                                                 password_hash=password_hash, signature=sig))


def _rows(conn: Connection, where: Any = None) -> list[Any]:
    q = select(schema.accounts)
    return list(conn.execute(q if where is None else q.where(where)))


def _intact(conn: Connection, r: Any) -> bool:
    want = _sign(store.key_for(conn), r.username, r.email, r.role, r.password_hash)
    return hmac.compare_digest(want, r.signature)


def sign_in_required() -> bool:
    """True once accounts exist (or an earlier users file is configured): no demo mode."""
    if settings.users_file() is not None:
        return True
    with store.reading() as conn:
        return bool(conn.execute(select(func.count()).select_from(schema.accounts)).scalar())


def add_user(username: str, password: str, role: str, email: str = "",
             roles: Any = None, by: str = "cli") -> bool:
    """Create or replace a local account (one transaction with its audit entry); True
    when it replaced an existing one.

    Raises
    ------
    ValueError
        An unknown role, an empty or look-alike name, a password too short or long.
    """
    if roles is not None and role not in roles:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(roles)}")
    username = signin_guard.normalize(username)
    if not username:
        raise ValueError("the user name is empty")
    if any(c.isspace() or not c.isprintable() for c in username):
        raise ValueError("the user name may not hold spaces or control characters")
    pw = password.encode("utf-8")
    if len(pw) < 10:
        raise ValueError("the password needs at least 10 characters")
    if len(pw) > MAX_PASSWORD_BYTES:
        raise ValueError(f"the password may have at most {MAX_PASSWORD_BYTES} bytes")
    hashed = bcrypt.hashpw(pw, bcrypt.gensalt(rounds=12)).decode()   # outside the lock
    email = email.strip().lower()
    with store.transaction() as conn:
        store.lock(conn, "accounts")
        existing = [r.username for r in conn.execute(select(schema.accounts.c.username))]
        twin = signin_guard.look_alike(username, existing)
        if twin is not None:
            raise ValueError(f"the user name {username!r} looks like the existing {twin!r}; "
                             "choose a name that cannot be mistaken for it")
        replaced = username in existing
        insert_account(conn, username, email, role, hashed)
        trail.append(conn, "account_changed" if replaced else "account_added", by, "",
                     detail=f"{username} role={role} email={email or '-'}")
    return replaced


def remove_user(username: str, by: str = "cli") -> bool:
    """Remove the account ``username``; False if there was none.

    Its open sessions end at their next interaction (the account is read on
    every rerun).
    """
    name = signin_guard.normalize(username)
    with store.transaction() as conn:
        store.lock(conn, "accounts")
        gone = conn.execute(schema.accounts.delete()
                            .where(schema.accounts.c.username == name)).rowcount
        if gone:
            trail.append(conn, "account_removed", by, "", detail=name)
    return bool(gone)


def authenticate(username: str, password: str) -> User | None:
    """The user when the password matches, else None (unknown users take as long).

    Raises
    ------
    AuthError
        The account's row was changed outside ``add-user``.
    """
    name = signin_guard.normalize(username)
    with store.reading() as conn:
        rows = _rows(conn, schema.accounts.c.username == name)
        u = rows[0] if rows else None
        intact = u is not None and _intact(conn, u)
    pw = password.encode("utf-8")
    # bcrypt reads 72 bytes: a longer password is refused, never cut to match a prefix
    too_long = len(pw) > MAX_PASSWORD_BYTES
    try:
        ok = bcrypt.checkpw(pw[:MAX_PASSWORD_BYTES],
                            (u.password_hash if u else _DUMMY_HASH.decode()).encode())
    except ValueError:  # a malformed hash
        ok = False
    if u is not None and not intact:
        raise AuthError(f"the account {name!r} was changed outside `add-user` (its signature "
                        "does not match); it cannot sign in until add-user saves it again")
    if u is None or not ok or too_long:
        return None
    return User(u.username, u.email, u.role)


def account(username: str) -> User | None:
    """The account ``username`` as the store holds it now (None once removed or when its
    row was changed by hand)."""
    with store.reading() as conn:
        rows = _rows(conn, schema.accounts.c.username == username)
        if not rows or not _intact(conn, rows[0]):
            return None
    return User(rows[0].username, rows[0].email, rows[0].role)


def user_by_email(email: str) -> User | None:
    """The account whose e-mail matches (for identity-provider sign-in)."""
    want = email.strip().lower()
    if not want:
        return None
    with store.reading() as conn:
        for r in _rows(conn, schema.accounts.c.email == want):
            if _intact(conn, r):
                return User(r.username, r.email, r.role)
    return None


def read_users_file(path: Path) -> list[dict[str, Any]]:
    """An earlier version's signed users file, verified (for moving in).

    Raises
    ------
    AuthError
        Unreadable, malformed, or its signature does not match.
    """
    secret = settings.secret()
    if not secret:
        raise AuthError(f"{settings.SECRET.name} is not set: the users file cannot be checked")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        users = data["users"]
        signature = data["signature"]
        if not isinstance(users, list):
            raise TypeError("users is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"users file {path} is malformed ({exc})") from None
    canonical = json.dumps(users, sort_keys=True, separators=(",", ":")).encode("utf-8")
    want = hmac.new(secret.encode("utf-8"), canonical, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, str(signature)):
        raise AuthError(f"users file {path} was changed outside `add-user` (signature does "
                        "not match)")
    for i, u in enumerate(users, start=1):
        if not isinstance(u, dict) or not all(isinstance(u.get(k), str) and u[k]
                                              for k in ("username", "role", "password_hash")):
            raise AuthError(f"users file {path}: entry {i} is not a complete account")
    return users


def audit(action: str, user: str, role: str, export_fingerprint: str = "",
          detail: str = "") -> None:
    """One audit entry in a transaction of its own (:func:`rfa_dash.state.audit.record`)."""
    trail.record(action, user, role, export_fingerprint, detail)
