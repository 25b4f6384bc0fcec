"""docs/deploy.md, followed as far as this machine allows (issue 25): its nginx configuration
in front of two app servers sharing one PostgreSQL store (TLS, websockets, the health
endpoint, a browser through the proxy), its backups made, restored and verified, its
systemd units checked."""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rfa_dash.state import audit, store
from tests.state.helpers import cli

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    """The doc's fenced code blocks of ``lang``, indentation removed."""
    found = re.findall(rf"^( *)```{lang}\n(.*?)^\1```", DOC, flags=re.S | re.M)
    return ["\n".join(line[len(indent):] for line in body.splitlines())
            for indent, body in found]


def doc_command(start: str) -> str:
    """The one command of the doc that begins with ``start``."""
    (line,) = [ln.strip() for b in blocks("sh") for ln in b.splitlines()
               if ln.strip().startswith(start)]
    return line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_health(url: str, ctx=None, seconds: float = 120) -> str:
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3, context=ctx) as r:
                return r.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture()
def pg_store(pg_server, monkeypatch):
    url = pg_server.create(f"deploy{os.getpid()}{int(time.time() * 1000) % 100000}")
    monkeypatch.setenv("RFA_DASH_STATE_URL", url)
    monkeypatch.setenv("RFA_DASH_SECRET", "deploy-test-secret")
    yield url
    store.forget()


def _app_server(port: int, log: Path, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFA_DASH_")}
    env.update({k: os.environ[k] for k in ("RFA_DASH_STATE_URL", "RFA_DASH_SECRET")})
    env.update(extra)
    return subprocess.Popen(
        [sys.executable, "-m", "rfa_dash", "serve", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _nginx_conf(tmp: Path, apps: list[int], https: int, http: int, cert, key) -> Path:
    (site,) = blocks("nginx")
    site = site.replace("server app1.internal:8501;", f"server 127.0.0.1:{apps[0]};")
    site = site.replace("server app2.internal:8501;", f"server 127.0.0.1:{apps[1]};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};")
    site = site.replace("/etc/ssl/rfa/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/rfa/privkey.pem", str(key))
    temp = "\n".join(f"    {k}_temp_path {tmp / k};" for k in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    conf.write_text(("user root;\n" if os.geteuid() == 0 else "")
                    + f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
                    + "events {}\nhttp {\n    access_log off;\n" + temp + "\n" + site + "\n}\n")
    return conf


def test_two_app_servers_behind_the_documented_nginx(pg_store, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "Debian's nginx is needed: make test installs it"
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "chain.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    client = ssl.create_default_context()
    ca.configure_trust(client)
    store.engine()                            # the schema made before the servers start
    apps, https, http = [_free_port(), _free_port()], _free_port(), _free_port()
    conf = _nginx_conf(tmp_path, apps, https, http, tmp_path / "chain.pem",
                       tmp_path / "key.pem")
    check = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    procs = [_app_server(p, tmp_path / f"app{i}.log") for i, p in enumerate(apps)]
    proxy = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path), "-g",
                              "daemon off;"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        for p in apps:                        # each server's health endpoint...
            assert _wait_health(f"http://127.0.0.1:{p}/_stcore/health") == "ok"
        # ...and through the proxy, over TLS
        assert _wait_health(f"https://127.0.0.1:{https}/_stcore/health", client,
                            seconds=30) == "ok"
        # plain HTTP is sent to HTTPS
        req = urllib.request.Request(f"http://127.0.0.1:{http}/")
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(req, timeout=5)
        assert moved.value.code == 301
        # the websocket Streamlit talks over is upgraded through the proxy
        from websockets.sync.client import connect

        with connect(f"wss://127.0.0.1:{https}/_stcore/stream", ssl=client,
                     subprotocols=["streamlit"], open_timeout=20) as ws:
            assert ws.response.status_code == 101
        # and the dashboard itself works through it, in a browser
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                   args=["--no-sandbox", "--disable-background-networking",
                                         "--disable-gpu", "--no-first-run"])
            page = b.new_context(ignore_https_errors=True).new_page()
            page.goto(f"https://127.0.0.1:{https}/")
            page.get_by_role("heading", name="Overview", level=1).wait_for(timeout=90000)
            b.close()
    finally:
        proxy.terminate()
        for p in procs:
            p.terminate()
        for p in [proxy, *procs]:
            p.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _entries(n: int) -> None:
    for i in range(n):
        with store.transaction() as conn:
            audit.append(conn, "sign_in", f"user{i}", "dsmb", detail="client 10.0.0.1")


def test_the_sqlite_backup_command_restores_to_an_intact_trail(_private_state, tmp_path,
                                                               monkeypatch):
    monkeypatch.setenv("RFA_DASH_SECRET", "backup-test-secret")
    _entries(4)
    command = doc_command("python -m rfa_dash backup-state")
    out = tmp_path / "state-backup.sqlite"
    argv = command.replace("/var/backups/rfa_dash/state-$(date +%F).sqlite", str(out)).split()
    assert argv[:3] == ["python", "-m", "rfa_dash"]
    assert cli(*argv[3:]).returncode == 0 and out.is_file()
    r = cli("verify-audit", env={"RFA_DASH_STATE_URL": f"sqlite:///{out}"})
    assert (r.returncode, r.stdout.strip()) == (
        0, "rfa_dash: the audit trail is intact: 4 entries checked")


def test_the_postgresql_backup_restores_to_an_intact_trail(pg_store, pg_server, tmp_path):
    _entries(3)
    dump = tmp_path / "state.dump"
    command = doc_command("pg_dump")
    argv = command.replace("/var/backups/rfa_dash/state-$(date +%F).dump", str(dump)) \
        .replace('"$RFA_DASH_STATE_URL"', pg_store).split()
    subprocess.run([str(pg_server.bin / argv[0]), *argv[1:]], check=True, timeout=120)
    restored = pg_server.create("restored" + pg_store.rsplit("/", 1)[1])
    restore = re.search(r"`(pg_restore [^`]+)`", DOC).group(1).split()
    restore = [a.replace("postgresql://rfa@db.internal/rfa_restored", restored)
               .replace("state-2026-12-01.dump", str(dump)) for a in restore]
    subprocess.run([str(pg_server.bin / restore[0]), *restore[1:]], check=True, timeout=120)
    r = cli("verify-audit", env={"RFA_DASH_STATE_URL": restored})
    assert (r.returncode, r.stdout.strip()) == (
        0, "rfa_dash: the audit trail is intact: 3 entries checked")


def test_the_systemd_units_are_valid(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    names = ["rfa-dash.service", "rfa-dash-fetch.service", "rfa-dash-fetch.timer",
             "rfa-dash-cut.service", "rfa-dash-cut.timer"]
    units = blocks("ini")
    assert len(units) == len(names)
    for name, text in zip(names, units, strict=True):
        (tmp_path / name).write_text(text.replace("/opt/rfa_dash/.venv/bin", str(
            Path(sys.executable).parent)).replace("/opt/rfa_dash", str(ROOT))
            .replace("User=rfa-dash", "User=root"))
    r = subprocess.run([analyze, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
                       capture_output=True, text=True, timeout=60)
    problems = [ln for ln in r.stderr.splitlines()
                if "rfa-dash" in ln and "EnvironmentFile" not in ln]
    assert r.returncode == 0 or not problems, r.stderr


def test_the_step_by_step_commands_are_whole_and_agree_with_each_other():
    """Issue 37 (in part): the set-up steps as written. Every shell block parses; the
    environment file's names are settings the code reads (or libpq's, or the unit's);
    every variable the units use is set there; no step needs sudo or a home folder."""
    from rfa_dash import settings

    sh = blocks("sh")
    for b in sh:
        r = subprocess.run(["sh", "-n"], input=b, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (b, r.stderr)
        assert "sudo " not in b and "~/" not in b, b
    (env,) = [b for b in sh if b.startswith("RFA_DASH_STATE_URL=")]
    names = {line.split("=", 1)[0] for line in env.splitlines()
             if line.strip() and not line.startswith("#")}
    known = {s.name for s in settings.SETTINGS} | {"PGPASSFILE", "BIND_ADDRESS"}
    assert names <= known, names - known
    used = set(re.findall(r"\$\{(\w+)\}", "\n".join(blocks("ini"))))
    assert used <= names, used - names
    # the wrapper runs the CLI as the service account with the environment file loaded
    (wrapper,) = [b for b in sh if b.startswith("#!/bin/sh")]
    assert ". /etc/rfa_dash/env" in wrapper and "runuser -u rfa-dash --" in wrapper
    assert ".venv/bin/python -m rfa_dash" in wrapper


def _relay(source: str, port: int) -> int:
    """A TCP relay on loopback to ``port`` whose connections come from ``source`` (say
    127.0.0.5): a browser on this machine then reaches nginx from an address of its own,
    as people on other machines do (a loopback connection otherwise comes from 127.0.0.1,
    whatever address it calls). Bytes pass through untouched (TLS included)."""
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)

    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            up = socket.socket()
            up.bind((source, 0))
            up.connect(("127.0.0.1", port))
            for a, b in ((client, up), (up, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


def test_sign_in_is_fair_through_the_documented_nginx(pg_store, tmp_path):
    """Issue 37: behind the documented proxy every sign-in was "client unknown", so twenty
    wrong passwords under twenty names locked everyone out. Through the doc's own nginx
    site (with RFA_DASH_TRUSTED_PROXIES as the doc says), an attacker at one address
    trying twenty names is stopped there, while a DSMB member at another address signs in;
    the audit trail records each real address. Two client addresses on one machine: a
    relay (``_relay``) gives each browser its own source address."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "chain.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    store.engine()
    r = cli("add-user", "dsmb.chair", "--role", "dsmb", "--password-stdin",
            stdin="right horse battery staple\n")
    assert r.returncode == 0, r.stderr
    app, https, http = _free_port(), _free_port(), _free_port()
    conf = _nginx_conf(tmp_path, [app, app], https, http, tmp_path / "chain.pem",
                       tmp_path / "key.pem")
    assert "proxy_set_header X-Forwarded-For" in conf.read_text()   # the doc's own header
    env_line = [ln for b in blocks("sh") for ln in b.splitlines()
                if ln.strip().startswith("RFA_DASH_TRUSTED_PROXIES=")]
    assert env_line, "docs/deploy.md sets RFA_DASH_TRUSTED_PROXIES in the env file"
    proc = _app_server(app, tmp_path / "app.log",   # the proxy's address here
                       RFA_DASH_TRUSTED_PROXIES="127.0.0.1")
    proxy = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path), "-g",
                              "daemon off;"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    from playwright.sync_api import sync_playwright

    state = "() => document.querySelector('[data-testid=\"stApp\"]')" \
            ".getAttribute('data-test-script-state')"

    def sign_in(page, name: str, password: str) -> str:
        page.get_by_label("User name").fill(name)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        try:   # the rerun starts (a refusal without the pause may be over already)...
            page.wait_for_function(f"() => ({state})() === 'running'", timeout=3000,
                                   polling=10)
        except Exception:  # noqa: BLE001
            pass
        # ...and ends
        page.wait_for_function(f"() => ({state})() === 'notRunning'", timeout=30000)
        alert = page.locator('[data-testid="stAlertContainer"]')
        return " ".join(alert.all_inner_texts())

    try:
        assert _wait_health(f"http://127.0.0.1:{app}/_stcore/health") == "ok"
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                   args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            attacker = b.new_context(ignore_https_errors=True).new_page()
            attacker.goto(f"https://127.0.0.1:{_relay('127.0.0.5', https)}/")
            try:
                attacker.get_by_label("User name").wait_for(timeout=90000)
            except Exception:
                attacker.screenshot(path=str(ROOT / "test-artifacts" / "fair-attacker.png"))
                raise
            said = [sign_in(attacker, f"guess{i}", "wrong") for i in range(21)]
            assert all("wrong user name or password" in s.lower() for s in said[:20]), said
            assert "try again in" in said[-1], said[-1]     # this address is stopped
            member = b.new_context(ignore_https_errors=True).new_page()
            member.goto(f"https://127.0.0.1:{_relay('127.0.0.6', https)}/")
            member.get_by_label("User name").wait_for(timeout=90000)
            member.get_by_label("User name").fill("dsmb.chair")
            member.get_by_label("Password", exact=True).fill("right horse battery staple")
            member.get_by_role("button", name="Sign in").click()
            try:
                member.get_by_text("Signed in as").wait_for(timeout=60000)
            except Exception:
                member.screenshot(path=str(ROOT / "test-artifacts" / "fair-member.png"))
                raise
            b.close()
    finally:
        proxy.terminate()
        proc.terminate()
        for p in (proxy, proc):
            p.wait(timeout=30)
    from tests.helpers import audit_entries

    rows = [e for e in audit_entries() if e["action"].startswith("sign_in")]
    details = {(e["action"], e["detail"]) for e in rows}
    assert ("sign_in", "client 127.0.0.6") in details
    assert ("sign_in_failed", "client 127.0.0.5") in details
    assert ("sign_in_throttled", "client 127.0.0.5") in details
    assert not any("unknown" in (e["detail"] or "") for e in rows)
