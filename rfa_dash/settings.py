"""Settings from the environment: every variable the dashboard reads, in one place.

The protocol file holds the trial's settings; this module holds the server's
(where files live, how people sign in). Nothing else reads ``os.environ``:
a module asks the function here. Each variable is read when it is asked for,
so a test (or a server restarted with another environment) sees its value.
The README's settings table lists every name in :data:`SETTINGS`
(``tests/unit/test_settings.py`` checks it).

Example
-------
>>> import os
>>> os.environ["RFA_DASH_CUTS_DIR"] = "/srv/rfa/cuts"
>>> str(cuts_dir())
'/srv/rfa/cuts'
>>> del os.environ["RFA_DASH_CUTS_DIR"]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name and what it sets."""

    name: str
    what: str


PROTOCOL = Setting("RFA_DASH_PROTOCOL", "another protocol file")
EXPORT_ROOT = Setting("RFA_DASH_EXPORT_ROOT", "the folder the server's folder source may open")
STATE_URL = Setting("RFA_DASH_STATE_URL", "the state store: a postgresql:// URL for several "
                    "servers (unset: an SQLite file in the state folder)")
USERS = Setting("RFA_DASH_USERS", "a users file of an earlier version, moved into the store "
                "on first start (set: sign-in is required)")
SECRET = Setting("RFA_DASH_SECRET", "the key that signs accounts and chains the audit trail")
AUTH = Setting("RFA_DASH_AUTH", "'oidc' for sign-in through an identity provider")
AUDIT_LOG = Setting("RFA_DASH_AUDIT_LOG", "an audit log of an earlier version, moved into the "
                    "store on first start")
CUTS_DIR = Setting("RFA_DASH_CUTS_DIR", "a cuts folder of an earlier version, moved into the "
                   "store on first start")
CACHE_DIR = Setting("RFA_DASH_CACHE_DIR", "the Parquet cache of loaded exports")
UPLOAD_DIR = Setting("RFA_DASH_UPLOAD_DIR", "where uploaded exports are kept")
TRUSTED_PROXIES = Setting("RFA_DASH_TRUSTED_PROXIES", "addresses or networks of the reverse "
                          "proxies whose X-Forwarded-For header names the client")
STATE_WAIT = Setting("RFA_DASH_STATE_WAIT_S", "how long a write waits for another writer "
                     "of the state store before giving up (seconds)")

SETTINGS = (PROTOCOL, EXPORT_ROOT, STATE_URL, USERS, SECRET, AUTH, AUDIT_LOG, CUTS_DIR, CACHE_DIR,
            UPLOAD_DIR, STATE_WAIT, TRUSTED_PROXIES)

STATE_WAIT_DEFAULT_S = 30.0


def value(setting: Setting) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(setting.name) or None


def _path(setting: Setting) -> Path | None:
    v = value(setting)
    return Path(v).expanduser() if v else None


def named(name: str) -> str | None:
    """A variable that a configuration file names (the notify config's ``password_env``):
    its value, or None when unset."""
    return os.environ.get(name)


def protocol_file() -> Path | None:
    """``RFA_DASH_PROTOCOL``: the protocol file to load instead of the reference trial's."""
    return _path(PROTOCOL)


def export_root() -> str | None:
    """``RFA_DASH_EXPORT_ROOT``: the one folder the server's folder source may open."""
    return value(EXPORT_ROOT)


def state_url() -> str:
    """``RFA_DASH_STATE_URL``, else an SQLite file ``state.sqlite`` in :func:`state_dir`."""
    return value(STATE_URL) or f"sqlite:///{state_dir() / 'state.sqlite'}"


def state_wait_s() -> float:
    """``RFA_DASH_STATE_WAIT_S``: seconds a write waits for another writer's lock (SQLite's
    busy timeout, PostgreSQL's lock timeout), 30 when unset or not a positive number."""
    try:
        v = float(value(STATE_WAIT) or STATE_WAIT_DEFAULT_S)
    except ValueError:
        return STATE_WAIT_DEFAULT_S
    return v if 0 < v <= 3600 else STATE_WAIT_DEFAULT_S


def trusted_proxies() -> list[str]:
    """``RFA_DASH_TRUSTED_PROXIES``: the proxies' addresses or networks, comma-separated
    (``127.0.0.1`` when nginx runs on the same machine); empty when unset."""
    return [p.strip() for p in (value(TRUSTED_PROXIES) or "").split(",") if p.strip()]


def users_file() -> Path | None:
    """``RFA_DASH_USERS``: an earlier version's users file (moved into the store), or None."""
    return _path(USERS)


def secret() -> str | None:
    """``RFA_DASH_SECRET``: the key of the accounts' signatures and the audit chain (never
    printed)."""
    return value(SECRET)


def oidc() -> bool:
    """True when ``RFA_DASH_AUTH=oidc``: people sign in through an identity provider."""
    return value(AUTH) == "oidc"


def state_dir() -> Path:
    """The folder of the dashboard's own records: beside the users file, else
    ``$XDG_STATE_HOME/rfa_dash`` (``~/.local/state/rfa_dash``)."""
    users = users_file()
    if users is not None:
        return users.parent
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "rfa_dash"


def audit_log() -> Path:
    """``RFA_DASH_AUDIT_LOG``, else ``audit.log`` in :func:`state_dir`."""
    return _path(AUDIT_LOG) or state_dir() / "audit.log"


def cuts_dir() -> Path:
    """``RFA_DASH_CUTS_DIR``, else ``cuts/`` in :func:`state_dir`."""
    return _path(CUTS_DIR) or state_dir() / "cuts"


def cache_dir() -> Path:
    """``RFA_DASH_CACHE_DIR``, else ``~/.cache/rfa_dash``."""
    return _path(CACHE_DIR) or Path.home() / ".cache" / "rfa_dash"


def upload_dir() -> Path | None:
    """``RFA_DASH_UPLOAD_DIR``, or None: a private folder per server process."""
    v = value(UPLOAD_DIR)
    return Path(v) if v else None
