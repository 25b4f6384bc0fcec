"""The notify configuration: who gets which message, and through which SMTP server.

A TOML file outside the export (see ``docs/notify.md``). The SMTP password
is never in it: ``password_file`` names a file holding it, or
``password_env`` an environment variable.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rfa_dash import settings
from rfa_dash.blinding import sees
from rfa_dash.protocol import Protocol

MESSAGES = ("digest", "alerts")
SECURITY = ("starttls", "tls", "none")
LOOPBACK_NAMES = ("localhost",)


class ConfigError(ValueError):
    """The notify configuration is missing a setting or has an invalid one."""


@dataclass(frozen=True)
class Smtp:
    """How to reach the SMTP server."""

    host: str
    port: int
    security: str             # starttls, tls (implicit TLS) or none (loopback only)
    user: str
    password_file: Path | None
    password_env: str
    verify: bool              # check the server's certificate (and name)
    ca_file: Path | None      # extra CA bundle to trust (an institution's own CA)
    timeout: float

    def password(self) -> str | None:
        """The password, read when it is needed (never stored with the settings)."""
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"cannot read the SMTP password file "
                                  f"{self.password_file}: {exc.strerror}") from exc
        if self.password_env:
            value = settings.named(self.password_env)
            if value is None:
                raise ConfigError(f"the environment variable {self.password_env} (the SMTP "
                                  "password) is not set")
            return value
        return None


@dataclass(frozen=True)
class Recipient:
    """One person: their e-mail, their dashboard role and what they receive."""

    email: str
    role: str
    messages: tuple[str, ...]
    by_arm: bool


@dataclass(frozen=True)
class NotifyConfig:
    source: Path
    smtp: Smtp
    sender: str
    base_url: str
    state_file: Path
    recipients: tuple[Recipient, ...]


def is_loopback(host: str) -> bool:
    """True for localhost and addresses in 127.0.0.0/8 or ::1."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _address(value: object, where: str) -> str:
    text = str(value).strip()
    if "@" not in text or any(c in text for c in "\r\n,;") or " " in text.split("<")[-1]:
        raise ConfigError(f"{where}: {value!r} is not one e-mail address")
    return text


def _need(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise ConfigError(f"{where} has no '{key}'")
    return d[key]


def parse_config(data: dict[str, Any], protocol: Protocol, source: Path) -> NotifyConfig:
    """Check and build the configuration (``data`` is the parsed TOML).

    Raises
    ------
    ConfigError
        Naming the file and the setting at fault.
    """
    where = source.name
    raw = _need(data, "smtp", where)
    if "password" in raw:
        raise ConfigError(f"{where}: [smtp] must not hold the password: give password_file "
                          "(a file readable only by this user) or password_env")
    security = str(raw.get("security", "starttls")).lower()
    if security not in SECURITY:
        raise ConfigError(f"{where}: smtp.security is one of {', '.join(SECURITY)}, "
                          f"not {security!r}")
    host = str(_need(raw, "host", f"{where} [smtp]"))
    if security == "none" and not is_loopback(host):
        raise ConfigError(f"{where}: smtp.security = \"none\" sends in clear text; it is "
                          f"allowed only for a server on this machine, not {host}")
    try:
        port = int(raw.get("port", {"starttls": 587, "tls": 465, "none": 25}[security]))
        timeout = float(raw.get("timeout_seconds", 30))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: smtp.port and smtp.timeout_seconds are numbers") from exc
    base = source.parent
    smtp = Smtp(
        host=host, port=port, security=security, user=str(raw.get("user", "")),
        password_file=(base / str(raw["password_file"])).expanduser()
        if raw.get("password_file") else None,
        password_env=str(raw.get("password_env", "")),
        verify=bool(raw.get("verify", True)),
        ca_file=(base / str(raw["ca_file"])).expanduser() if raw.get("ca_file") else None,
        timeout=timeout)
    if smtp.user and smtp.password_file is None and not smtp.password_env:
        raise ConfigError(f"{where}: smtp.user is set but neither password_file nor "
                          "password_env")
    recipients = []
    for i, r in enumerate(_need(data, "recipients", where), start=1):
        w = f"{where}: recipients #{i}"
        role = str(_need(r, "role", w))
        if role not in protocol.roles:
            raise ConfigError(f"{w}: role {role!r} is not in the protocol file "
                              f"({', '.join(protocol.roles)})")
        messages = tuple(str(m) for m in r.get("messages", ["digest"]))
        bad = [m for m in messages if m not in MESSAGES]
        if bad:
            raise ConfigError(f"{w}: messages are {' and '.join(MESSAGES)}, not {bad[0]!r}")
        by_arm = bool(r.get("by_arm", False))
        if by_arm and not sees(protocol.roles[role], "outcomes_by_arm"):
            raise ConfigError(f"{w}: the {role} role does not see outcomes by arm; "
                              "by_arm = true is only for a role that does")
        recipients.append(Recipient(_address(_need(r, "email", w), f"{w} email"), role,
                                    messages, by_arm))
    state = data.get("state_file") or f"{source.stem}.state.json"
    return NotifyConfig(source=source, smtp=smtp,
                        sender=_address(_need(data, "sender", where), f"{where} sender"),
                        base_url=str(data.get("base_url", "")).rstrip("/"),
                        state_file=(base / str(state)).expanduser(),
                        recipients=tuple(recipients))


def load_config(path: Path, protocol: Protocol, export_folder: Path | None = None
                ) -> NotifyConfig:
    """Read and check the configuration file (never one inside the export folder)."""
    path = Path(path).expanduser()
    if export_folder is not None and path.resolve().is_relative_to(export_folder.resolve()):
        raise ConfigError(f"{path}: the notify configuration must live outside the export "
                          "folder (the export holds trial data, not mail settings)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"notify configuration not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    return parse_config(data, protocol, path)
