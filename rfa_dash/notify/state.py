"""What was sent to whom: a JSON state file, rewritten atomically after every message.

Each message is recorded the moment the SMTP server accepts it (a temporary
file, flushed to disk, then renamed over the state file), so a crash or a
failed delivery never marks a message sent that was not, and only a crash in
the instant between the server's acceptance and that rename could send one
twice (its Message-ID is the same, so the repeat can be recognised).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any


class StateError(ValueError):
    """The state file cannot be read."""


class State:
    """Keys sent per recipient: ``sent[email][key] = {"at": ..., "export": ...}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sent: dict[str, dict[str, dict[str, str]]] = {}
        if path.exists():
            try:
                data: Any = json.loads(path.read_text(encoding="utf-8"))
                self.sent = {str(e): dict(v) for e, v in data["sent"].items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StateError(f"the notify state file {path} cannot be read ({exc}); "
                                 "move it away to start afresh (every alert is then sent "
                                 "again)") from exc

    def keys(self, email: str) -> set[str]:
        return set(self.sent.get(email, {}))

    def record(self, email: str, keys: list[str], export: str) -> None:
        """Mark ``keys`` sent to ``email`` and write the file at once."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        mine = self.sent.setdefault(email, {})
        for k in keys:
            mine[k] = {"at": now, "export": export}
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".notify-state.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "sent": self.sent}, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
