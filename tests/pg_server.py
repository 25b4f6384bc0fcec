"""A real PostgreSQL server for the tests, started on loopback from Debian's binaries.

``initdb`` makes a throwaway cluster in a temporary folder (owned by the
``postgres`` user when the tests run as root: PostgreSQL refuses to run as
root), ``pg_ctl`` starts it on a free port on 127.0.0.1 with a socket in that
folder, and each test gets a database of its own. ``make test`` installs
Debian's ``postgresql`` package when it is missing
(tests/install_debian_packages.sh).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def bin_dir() -> Path | None:
    """Debian's PostgreSQL binaries (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One cluster: ``start()``, ``url(db)``, ``create(db)``, ``stop()``."""

    def __init__(self) -> None:
        b = bin_dir()
        if b is None:
            raise RuntimeError("PostgreSQL is not installed: run tests/install_debian_packages.sh")
        self.bin = b
        self.root = Path(tempfile.mkdtemp(prefix="rfa_pg_"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(argv)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> Server:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "rfa", "-A", "trust",
                  "--no-sync", "-E", "UTF8")
        opts = (f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off "
                "-c max_connections=100")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-t", "60",
                  "-l", str(self.root / "server.log"), "start")
        return self

    def url(self, db: str) -> str:
        return f"postgresql://rfa@127.0.0.1:{self.port}/{db}"

    def create(self, db: str) -> str:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "rfa", db)
        return self.url(db)

    def pg_dump(self, db: str) -> str:
        return self._run(str(self.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", "rfa", db).stdout

    def psql(self, db: str, sql: str) -> str:
        return self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", "rfa", "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-c",
                         sql).stdout

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                  "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
