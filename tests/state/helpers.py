"""What the state-store tests share: the CLI in a process of its own, hand edits of a store
(as someone with the database but not the key could make), the earlier chain."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv: str, stdin: str = "", env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m rfa_dash ARGV`` in its own process, with this test's environment."""
    return subprocess.run([sys.executable, "-m", "rfa_dash", *argv], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)})


def start(*argv: str, stdin: str = "", script: str | None = None) -> subprocess.Popen[str]:
    """The same, started and not waited for (``script``: a Python file to run instead)."""
    cmd = [sys.executable, script, *argv] if script else [sys.executable, "-m", "rfa_dash",
                                                          *argv]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    if p.stdin is not None:
        p.stdin.write(stdin)
        p.stdin.flush()
    return p


@contextmanager
def smtp_on_loopback(sink: Any) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a free loopback port for the block, handing what it
    receives to ``sink``; yields the port."""
    from aiosmtpd.controller import Controller

    from tests.unit.test_notify import _free_port

    port = _free_port()
    ctrl = Controller(sink, hostname="127.0.0.1", port=port)
    ctrl.start()
    try:
        yield port
    finally:
        ctrl.stop()


def tamper(url: str, *statements: str) -> None:
    """Run SQL on the store behind the dashboard's back, its append-only triggers first
    switched off (as the database's owner could)."""
    if url.startswith("sqlite:"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.executescript("DROP TRIGGER IF EXISTS audit_no_update;"
                          "DROP TRIGGER IF EXISTS audit_no_delete;"
                          + ";".join(statements) + ";")
        con.commit()
        con.close()
        return
    from sqlalchemy import create_engine, text

    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(text("ALTER TABLE audit DISABLE TRIGGER USER"))
        for s in statements:
            conn.execute(text(s))
        conn.execute(text("ALTER TABLE audit ENABLE TRIGGER USER"))
    eng.dispose()


def raw(url: str, statement: str) -> None:
    """Run SQL on the store as it is (its triggers on)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with eng.begin() as conn:
            conn.execute(text(statement))
    finally:
        eng.dispose()
