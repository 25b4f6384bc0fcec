"""Issue 37: docs/deploy.md's steps, run as written, as root without sudo, for a service
account with no home. The commands are the doc's own code blocks, read from the doc (not
restated here), so the doc cannot drift from what works.

What is changed before running them, and why:

- every path the doc names (``/opt/rfa_dash``, ``/etc/rfa_dash``, ``/var/lib/rfa_dash``,
  ``/var/cache/rfa_dash``, ``/srv/exports``, ``/var/backups/rfa_dash``,
  ``/usr/local/bin/rfa-dash``) is moved under one fresh folder standing for the machine's
  root, and the account ``rfa-dash`` gets a name of this run's (created by the doc's own
  ``useradd`` and removed afterwards), so the machine running the tests keeps its own;
- the clone's URL is this repository (the doc's is a placeholder);
- the environment file takes the doc's one-server variant (SQLite in the state folder,
  no ``PGPASSFILE``, as its text says), a real secret, and loopback addresses;
- the server's unit is run as systemd would run it (its user, folder, environment file
  and ``ExecStart``, on a free port), systemd itself being out of reach here.

Everything else runs as the doc says, in a shell with Debian's plain ``PATH`` and no
``HOME`` of the account: the package installation, ``make venv`` with Debian's Python,
the wrapper through which every command runs as the service account, the first account,
the unit's server (healthy, the sign-in form drawn, no traceback), the monthly cut unit,
the SQLite backup, and ``verify-audit``.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.state.test_deploy import ROOT, blocks

PATHS = ("/usr/local/bin/rfa-dash", "/opt/rfa_dash", "/etc/rfa_dash", "/var/lib/rfa_dash",
         "/var/cache/rfa_dash", "/srv/exports", "/var/backups/rfa_dash")
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"),
    reason="the doc's steps are run as root (useradd, runuser)")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Machine:
    """A fresh folder standing for the machine's root, and the doc's text moved into it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="rfa_machine_"))
        self.root.chmod(0o755)    # as / is: the service account walks through it
        self.user = f"rfadash{os.getpid()}"

    def text(self, block: str) -> str:
        for p in PATHS:
            block = block.replace(p, f"{self.root}{p}")
        # the account's name, not the units' names (rfa-dash.service, rfa-dash-cut.timer)
        return re.sub(r"\brfa-dash\b(?![\w.-])", self.user, block)

    def path(self, p: str) -> Path:
        return Path(self.text(p))

    def sh(self, script: str, timeout: float = 600, **env: str) -> str:
        """``script`` in ``sh -e`` as root, with Debian's plain PATH and the wrapper's folder."""
        r = subprocess.run(["sh", "-e", "-c", script], capture_output=True, text=True,
                           timeout=timeout, cwd=self.root,
                           env={"PATH": f"{self.root}/usr/local/bin:{DEBIAN_PATH}",
                                "HOME": "/root", "LANG": "C.UTF-8", **env})
        assert r.returncode == 0, f"{script}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
        return r.stdout + r.stderr

    def remove(self) -> None:
        subprocess.run(["userdel", self.user], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _block(lang: str, marker: str) -> str:
    (found,) = [b for b in blocks(lang) if marker in b]
    return found


def _env_file(m: Machine, secret: str) -> str:
    """The doc's environment file, with its one-server variant (its own words) applied."""
    prose = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    (sqlite_url,) = re.findall(r"`RFA_DASH_STATE_URL=(sqlite:[^`]+)`", prose)
    out = []
    for line in _block("sh", "RFA_DASH_STATE_URL=").splitlines():
        key = line.split("=", 1)[0]
        if key == "PGPASSFILE":          # "leaves out PGPASSFILE"
            continue
        value = {"RFA_DASH_STATE_URL": sqlite_url, "RFA_DASH_SECRET": secret,
                 "RFA_DASH_TRUSTED_PROXIES": "127.0.0.1",
                 "BIND_ADDRESS": "127.0.0.1"}.get(key)
        out.append(f"{key}={value}" if value else line)
    return m.text("\n".join(out) + "\n")


def _unit(m: Machine, marker: str) -> dict[str, list[str]]:
    """The [Service] lines of the doc's unit whose text has ``marker``."""
    found: dict[str, list[str]] = {}
    for line in m.text(_block("ini", marker)).splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            found.setdefault(k.strip(), []).append(v.strip())
    return found


def _as_unit(m: Machine, unit: dict[str, list[str]], command: str, port: int | None = None
             ) -> list[str]:
    """``command`` (an ``ExecStart``) as systemd runs it: the unit's user, folder and
    environment file (its ``${NAME}``s filled from it), nothing of root's environment."""
    env = {}
    for line in Path(unit["EnvironmentFile"][0]).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            k, v = line.split("=", 1)
            env[k] = v
    command = re.sub(r"\$\{(\w+)\}", lambda g: env[g.group(1)], command)
    if port is not None:
        command = command.replace("--server.port 8501", f"--server.port {port}")
    assigns = [f"{k}={v}" for k, v in env.items()]
    user = unit["User"][0]
    home = subprocess.run(["getent", "passwd", user], capture_output=True,
                          text=True).stdout.split(":")[5]
    # what systemd gives a unit with User=: its home (here none), user and log name
    return ["runuser", "-u", user, "--", "env", "-i", f"PATH={DEBIAN_PATH}", f"HOME={home}",
            f"USER={user}", f"LOGNAME={user}", "LANG=C.UTF-8", *assigns, "sh", "-c",
            f"cd {unit['WorkingDirectory'][0]} && exec {command}"]


def test_the_docs_steps_run_as_written_for_a_service_account_without_home():
    m = Machine()
    try:
        _run_the_steps(m)
    finally:
        m.remove()


def _run_the_steps(m: Machine) -> None:
    # 1. the service account and its folders
    m.sh(m.text(_block("sh", "useradd")))
    home = subprocess.run(["getent", "passwd", m.user], capture_output=True, text=True)
    assert home.stdout.split(":")[5] == "/nonexistent", home.stdout
    assert not Path("/nonexistent").exists()
    # 2. the code: the doc's packages, a clone, `make venv` with Debian's Python
    code = m.text(_block("sh", "git clone"))
    code = re.sub(r"https://github\.com/.*?\.git", str(ROOT), code)
    m.sh(code, timeout=900)
    # 3. the environment file, made as the doc's text says
    (make_env,) = re.findall(r"`(install -o root -g rfa-dash -m 640 /dev/null\s+"
                             r"/etc/rfa_dash/env)`",
                             (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8"))
    m.sh(m.text(re.sub(r"\s+", " ", make_env)))
    env_file = m.path("/etc/rfa_dash/env")
    env_file.write_text(_env_file(m, secrets.token_hex(32)), encoding="utf-8")
    assert oct(env_file.stat().st_mode & 0o777) == "0o640"
    # 4. the wrapper
    wrapper = m.path("/usr/local/bin/rfa-dash")
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(m.text(_block("sh", "#!/bin/sh")), encoding="utf-8")
    wrapper.chmod(0o755)
    # 5. the first account, through the wrapper, as the service account
    m.sh(m.text(_block("sh", "add-user")))
    out = m.sh(f"{m.user} verify-audit")
    assert "intact" in out, out
    store = m.path("/var/lib/rfa_dash/state.sqlite")
    assert store.stat().st_uid == int(subprocess.check_output(["id", "-u", m.user]))

    # the server's unit, run as systemd would: healthy, the sign-in form, no traceback
    unit = _unit(m, "serve")
    (start,) = unit["ExecStart"]
    port = _port()
    log = m.root / "server.log"
    with log.open("w") as out_file:
        server = subprocess.Popen(_as_unit(m, unit, start, port), stdout=out_file,
                                  stderr=subprocess.STDOUT, cwd=m.root)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                   args=["--no-sandbox", "--disable-gpu"])
            page = b.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_label("User name").wait_for(timeout=60000)
            from tests.app.test_browser import _axe

            _axe(page, "the sign-in form")     # WCAG 2.1 AA there too (issue 36)
            b.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text and "PermissionError" not in text, text
    assert "start-up done" in text, text

    # the monthly cut unit, on an export where the fetch unit would write it
    current = m.path("/srv/exports/current")
    shutil.copytree(ROOT / "sample_data", current, ignore=shutil.ignore_patterns("redcap"))
    subprocess.run(["chown", "-R", f"{m.user}:{m.user}", str(current)], check=True)
    cut = _unit(m, "save-cut")
    r = subprocess.run(_as_unit(m, cut, cut["ExecStart"][0]), capture_output=True, text=True,
                       timeout=300, cwd=m.root)
    assert r.returncode == 0, r.stderr
    assert "2026-11-16" in m.sh(f"{m.user} cuts")

    # the closed report as PDF, through the wrapper: the chart renderer (Chromium) runs as
    # the service account, which has no home to keep a profile in
    pdf = m.path("/var/lib/rfa_dash/report.pdf")
    m.sh(f"{m.user} report {current} --role dsmb --out {pdf}", timeout=300)
    assert pdf.read_bytes()[:5] == b"%PDF-"

    # the SQLite backup, after the chown its text asks for; mode 600
    backup_dir = m.path("/var/backups/rfa_dash")
    m.sh(m.text("chown rfa-dash /var/backups/rfa_dash"))
    backup = m.text(_block("sh", "backup-state"))
    m.sh(backup.replace("python -m rfa_dash ", f"{m.user} "))
    (copy,) = backup_dir.glob("state-*.sqlite")
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    out = m.sh(f"{m.user} verify-audit")
    assert re.search(r"intact: [3-9]\d* entries", out) or "intact" in out, out
