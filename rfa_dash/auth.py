"""Local accounts, the users file's integrity, and the append-only audit log.

Users file (JSON, outside the export; path in ``RFA_DASH_USERS``)::

    {"version": 1,
     "users": [{"username": "...", "email": "...", "role": "dsmb",
                "password_hash": "$2b$12$..."}],
     "signature": "<HMAC-SHA256 of the users list, hex>"}

Passwords are salted bcrypt hashes. The signature is keyed with the secret in
``RFA_DASH_SECRET``; a file changed by hand (a role raised, a hash swapped) no
longer matches and every sign-in is refused until ``add-user`` rewrites it.
With no users file the app runs in demo mode (role picker, bundled synthetic
sample only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from rfa_dash import settings, signin_guard
from rfa_dash.memo import Memo

MAX_PASSWORD_BYTES = 72  # bcrypt's limit
_VERIFIED = Memo(max_entries=4, ttl=300)
# a hash of a random password, checked for unknown users so they take as long as known ones
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(rounds=12))


class AuthError(Exception):
    """The users file cannot be used (missing secret, unreadable, tampered)."""


@dataclass(frozen=True)
class User:
    username: str
    email: str
    role: str


def users_path() -> Path | None:
    """The configured users file, or None (demo mode)."""
    return settings.users_file()


def _secret() -> bytes:
    s = settings.secret()
    if not s:
        raise AuthError(f"{settings.SECRET.name} is not set: the users file cannot be checked")
    return s.encode("utf-8")


def _sign(users: list[dict]) -> str:
    canonical = json.dumps(users, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(_secret(), canonical, hashlib.sha256).hexdigest()


def load_users(path: Path) -> list[dict]:
    """Read and verify the users file.

    The app checks it on every rerun (a removed account ends its session), so
    the verified list is kept while the file's inode, size, modification and
    change times (the latter cannot be set back by hand) and the secret stay
    the same.

    Raises
    ------
    AuthError
        Unreadable, malformed, or its signature does not match.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise AuthError(f"users file not found: {path}") from exc
    key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
           hashlib.sha256(_secret()).digest())
    return _VERIFIED.get(key, lambda: _read_users(path))


def _read_users(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        users = data["users"]
        signature = data["signature"]
        if not isinstance(users, list):
            raise TypeError("users is not a list")
    except FileNotFoundError as exc:
        raise AuthError(f"users file not found: {path}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"users file {path} is malformed ({exc})") from exc
    if not hmac.compare_digest(_sign(users), str(signature)):
        raise AuthError(f"users file {path} was changed outside `add-user` (signature does "
                        "not match); sign-in is disabled")
    # signed, but written by something else than add-user (or an older version): every
    # entry must still have the shape sign-in relies on
    for i, u in enumerate(users, start=1):
        if not isinstance(u, dict):
            raise AuthError(f"users file {path}: entry {i} is not an account; sign-in is "
                            "disabled until add-user rewrites the file")
        for key in ("username", "role", "password_hash"):
            if not isinstance(u.get(key), str) or not u[key]:
                raise AuthError(f"users file {path}: entry {i} has no {key}; sign-in is "
                                "disabled until add-user rewrites the file")
        if not isinstance(u.get("email", ""), str):
            raise AuthError(f"users file {path}: entry {i} has an e-mail that is not text")
    return users


def add_user(path: Path, username: str, password: str, role: str, email: str = "",
             roles=None) -> None:
    """Create or replace a local account and re-sign the users file."""
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
    users = load_users(path) if path.exists() else []
    twin = signin_guard.look_alike(username, [u["username"] for u in users])
    if twin is not None:
        raise ValueError(f"the user name {username!r} looks like the existing {twin!r}; "
                         "choose a name that cannot be mistaken for it")
    users = [u for u in users if u["username"] != username]
    users.append({"username": username, "email": email.strip().lower(), "role": role,
                  "password_hash": bcrypt.hashpw(pw, bcrypt.gensalt(rounds=12)).decode()})
    users.sort(key=lambda u: u["username"])
    _write_users(path, users)


def _write_users(path: Path, users: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"version": 1, "users": users, "signature": _sign(users)},
                              indent=1) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def remove_user(path: Path, username: str) -> bool:
    """Remove the account ``username`` and re-sign the file; False if there was none.

    Its open sessions end at their next interaction (the file is read on every
    rerun).
    """
    users = load_users(path)
    name = signin_guard.normalize(username)
    kept = [u for u in users if u["username"] != name]
    if len(kept) == len(users):
        return False
    _write_users(path, kept)
    return True


def authenticate(path: Path, username: str, password: str) -> User | None:
    """The user when the password matches, else None (unknown users take as long)."""
    users = {u["username"]: u for u in load_users(path)}
    u = users.get(signin_guard.normalize(username))
    pw = password.encode("utf-8")
    # bcrypt reads 72 bytes: a longer password is refused, never cut to match a prefix
    too_long = len(pw) > MAX_PASSWORD_BYTES
    try:
        ok = bcrypt.checkpw(pw[:MAX_PASSWORD_BYTES],
                            (u["password_hash"] if u else _DUMMY_HASH.decode()).encode())
    except ValueError:  # a malformed hash
        ok = False
    if u is None or not ok or too_long:
        return None
    return User(u["username"], u.get("email", ""), u["role"])


def account(path: Path, username: str) -> User | None:
    """The account ``username`` as the users file holds it now (None once removed)."""
    for u in load_users(path):
        if u["username"] == username:
            return User(u["username"], u.get("email", ""), u["role"])
    return None


def user_by_email(path: Path, email: str) -> User | None:
    """The account whose e-mail matches (for identity-provider sign-in)."""
    for u in load_users(path):
        if u.get("email") and u["email"] == email.strip().lower():
            return User(u["username"], u["email"], u["role"])
    return None


def audit_path() -> Path:
    """Audit log: ``RFA_DASH_AUDIT_LOG``, else beside the users file, else the state dir."""
    return settings.audit_log()


def audit(action: str, user: str, role: str, export_fingerprint: str = "",
          detail: str = "") -> None:
    """Append one JSON line to the audit log (opened for appending only)."""
    path = audit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
             "user": user, "role": role, "action": action, "export": export_fingerprint,
             "detail": detail}
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
