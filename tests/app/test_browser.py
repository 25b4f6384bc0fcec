"""Browser tests: `python -m rfa_dash serve` (the server as deployed) on a free loopback port,
every page in headless Chromium.

Each page must render with no error box; a screenshot per page is saved under
test-artifacts/screenshots/ (git-ignored) for a person to look at.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rfa_dash.page_registry import PAGES as REGISTRY
from rfa_dash.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# page name -> URL path (the default page, the overview, is at /)
PAGES = {key: page.url_path for key, page in REGISTRY.items()}
TITLES = {key: page.heading for key, page in REGISTRY.items()}
NAV = {key: page.nav for key, page in REGISTRY.items()}
ROLE_LABELS = {"coordinator": "Study coordinator", "investigator": "Principal investigator",
               "dsmb": "DSMB member"}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("RFA_DASH_SKIP_BROWSER") == "1",
    reason="RFA_DASH_SKIP_BROWSER=1 and no chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve(state: Path, log_name: str):
    """Run `python -m rfa_dash serve` on a free loopback port; yield its URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFA_DASH_")}
    env.update(RFA_DASH_STATE_URL=f"sqlite:///{state / 'state.sqlite'}")
    log = (ROOT / "test-artifacts")
    log.mkdir(exist_ok=True)
    out = open(log / log_name, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rfa_dash", "serve", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"streamlit did not start; see test-artifacts/{log_name}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        out.close()


SERVER_STATE: dict[str, Path] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("browser-state")
    SERVER_STATE["dir"] = state
    with _serve(state, "streamlit-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: make test installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-background-networking",
                                    "--disable-gpu", "--disable-component-update",
                                    "--no-first-run"])
        yield b
        b.close()


IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def _settle(page, title: str) -> None:
    """Wait until the page's title is shown and the script has stayed idle for a moment."""
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=60000)
    for _ in range(2):  # idle twice, a second apart: a rerun may start just after the first
        page.wait_for_function(IDLE, timeout=60000)
        page.wait_for_timeout(1000)


def _no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe(page, where: str) -> None:
    """axe-core (Deque's, as packaged on PyPI by axe-playwright-python) on the page as it
    stands: no WCAG 2.0/2.1 A or AA violation (issue 36)."""
    import axe_playwright_python

    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate((Path(axe_playwright_python.__file__).parent / "axe.min.js")
                      .read_text(encoding="utf-8"))
    found = page.evaluate("t => axe.run(document, {runOnly: {type: 'tag', values: t}})"
                          ".then(r => r.violations.map(v => [v.id, v.nodes.length, "
                          "v.nodes[0].failureSummary, v.nodes[0].html.slice(0, 160)]))",
                          AXE_TAGS)
    assert not found, (where, found)


def _role_input(page):
    return page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input')


def _choose_role(page, role: str) -> None:
    """Type the role into the sidebar's combobox and confirm, as a keyboard user would.

    The server has applied the role once the navigation lists exactly that
    role's pages. A keystroke that lands while a rerun replaces the widget can
    be lost, so the choice is retried a few times.
    """
    n_pages = len(load_protocol().roles[role].pages)
    applied = ("n => document.querySelectorAll('[data-testid=\"stSidebarNav\"] a').length"
               " === n")
    for _ in range(4):
        box = _role_input(page)
        if box.input_value() != ROLE_LABELS[role]:
            box.click()
            box.fill("")
            box.press_sequentially(ROLE_LABELS[role][:5], delay=50)
            page.get_by_role("option", name=ROLE_LABELS[role]).wait_for(timeout=10000)
            box.press("Enter")
        try:
            page.wait_for_function(applied, arg=n_pages, timeout=8000)
            if _role_input(page).input_value() == ROLE_LABELS[role]:
                return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try again
            pass
        page.wait_for_function(IDLE, timeout=60000)
    raise AssertionError(f"could not choose the role {role}")


ROLE_PAGES = [(r, p) for r, role in load_protocol().roles.items() for p in role.pages]


@pytest.mark.parametrize("role,name", ROLE_PAGES)
def test_page_in_browser(server, browser, role, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    try:
        page.goto(server + "/")
        _settle(page, "Overview")
        _choose_role(page, role)
        _settle(page, "Overview")
        if PAGES[name]:
            # navigate with the sidebar link, as a person would; the role must survive
            page.locator('[data-testid="stSidebarNav"]').get_by_text(NAV[name],
                                                                    exact=True).click()
            _settle(page, TITLES[name])
        page.screenshot(path=str(SHOTS / f"{role}-{name}.png"), full_page=True)
        _no_errors(page)
        _axe(page, f"{role} {name}")
        # one h1 (the page's), and a title of its own
        assert page.locator("h1").count() == 1
        assert page.title().startswith(TITLES[name])
        assert _role_input(page).input_value() == ROLE_LABELS[role]
        body = page.locator('[data-testid="stMain"]').inner_text()
        if role == "coordinator":
            assert "RFA/BA + RT" not in body and "RT alone" not in body
        # a page's detail tabs are drawn when opened (ui.tabs): open each in turn
        tabs = page.get_by_role("tab")
        for i in range(1, tabs.count()):
            label = tabs.nth(i).inner_text().strip()
            tabs.nth(i).click()
            page.wait_for_function(
                "l => [...document.querySelectorAll('[role=tab]')].some("
                "t => t.innerText.trim() === l && t.getAttribute('aria-selected') === 'true')",
                arg=label, timeout=30000)
            _settle(page, TITLES[name])
            page.screenshot(path=str(SHOTS / f"{role}-{name}-tab{i + 1}.png"), full_page=True)
            _no_errors(page)
            _axe(page, f"{role} {name} tab {label}")
            panel = page.locator('[role="tabpanel"]:visible')
            # the opened tab has content (a table is drawn on a canvas: count elements)
            assert panel.locator('[data-testid="stElementContainer"]').count(), (name, label)
            panel = panel.inner_text()
            if role == "coordinator":
                assert "RFA/BA + RT" not in panel and "RT alone" not in panel
        if name == "overview":
            assert page.locator(".js-plotly-plot").count() == (1 if role == "coordinator"
                                                                else 2)
    finally:
        page.close()


def test_every_page_is_covered():
    assert {p for _, p in ROLE_PAGES} == set(PAGES)


def test_coordinator_cannot_open_the_sre_page_by_url(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server + "/sre")
        page.wait_for_timeout(4000)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=60000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "coordinator-sre-by-url.png"))
        body = page.locator("body").inner_text()
        assert "Skeletal-related events" not in body
        assert "Cumulative incidence" not in body
    finally:
        page.close()


CUT_SHOWN = ("d => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
             ".some(e => e.innerText.includes('Data cut ' + d))")


def _set_as_of(page, day) -> None:
    """Type the date into the sidebar's date field and leave it, as a person would.

    Retried like the role: keystrokes landing during a rerun can be lost.
    """
    for _ in range(4):
        page.wait_for_function(IDLE, timeout=60000)
        seg = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] '
                           '[role="spinbutton"]')
        seg.first.click()
        page.keyboard.type(day.strftime("%Y%m%d"))
        page.wait_for_timeout(300)
        page.locator("h1").first.click()  # the field commits when it loses focus
        try:
            page.wait_for_function(CUT_SHOWN, arg=day.isoformat(), timeout=10000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try again
            pass
    raise AssertionError(f"could not set the data cut {day}")


def test_ten_concurrent_sessions_do_not_mix(server, browser):
    """Ten sessions on one server, each with its own role and data cut, interleaved."""
    import datetime as dt

    from rfa_dash.ingest.export import SAMPLE_DIR, open_export

    exp = open_export(SAMPLE_DIR)
    roles = list(ROLE_LABELS)
    sessions = []
    for i in range(10):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.goto(server + "/")
        day = dt.date(2025, 5, 1) + dt.timedelta(days=45 * i)
        sessions.append((ctx, page, roles[i % 3], day))
    try:
        for _, page, role, _ in sessions:
            _settle(page, "Overview")
            _choose_role(page, role)
        for _, page, _, day in sessions:
            _set_as_of(page, day)
        for _, page, role, day in sessions:
            page.wait_for_function(CUT_SHOWN, arg=day.isoformat(), timeout=60000)
            _settle(page, "Overview")
            _no_errors(page)
            assert _role_input(page).input_value() == ROLE_LABELS[role]
            n_nav = page.locator('[data-testid="stSidebarNav"] a').count()
            assert n_nav == len(load_protocol().roles[role].pages)
            funnel = exp.query("enrollment_funnel", as_of=day).set_index("stage")["n"]
            metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
            randomized = next(m for m in metrics if m.startswith("Randomized"))
            assert f"{funnel['randomized']} / 36" in randomized, (role, day, randomized)
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert ("RT alone" in body) == (role != "coordinator")
    finally:
        for ctx, *_ in sessions:
            ctx.close()


def test_page_url_on_a_fresh_server_goes_through_the_router(tmp_path, browser):
    """The very first request of a new server is a bookmarked page URL (Streamlit would
    run that page file on its own): the visitor still gets the router's sign-in,
    role and navigation, and the coordinator never reaches the SRE page."""
    with _serve(tmp_path, "streamlit-fresh-server.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(url + "/sre")
            _settle(page, "Overview")
            _no_errors(page)
            nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "SRE incidence" not in nav and "Worklist" in nav
            assert "Skeletal-related events" not in page.locator("body").inner_text()
        finally:
            page.close()


def test_dsmb_report_downloads_when_clicked_and_is_audited(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    try:
        page.goto(server + "/")
        _settle(page, "Overview")
        _choose_role(page, "dsmb")
        _settle(page, "Overview")
        page.locator('[data-testid="stSidebarNav"]').get_by_text(NAV["report"],
                                                                exact=True).click()
        _settle(page, TITLES["report"])
        with page.expect_download(timeout=120000) as dl:
            page.get_by_text("Download the report (HTML)").click()
        html = Path(dl.value.path()).read_text(encoding="utf-8")
        assert dl.value.suggested_filename.endswith(".html") and "closed" in \
            dl.value.suggested_filename
        assert "CLOSED SESSION — CONFIDENTIAL" in html and "10. Skeletal-related events" in html
        page.wait_for_function(IDLE, timeout=60000)
        # the PDF, masked: Group A / B, the key on its last page
        page.get_by_text("Masked: arms shown as Group A / Group B").click()
        page.wait_for_timeout(1000)   # the toggle's rerun gives the buttons new files
        _settle(page, TITLES["report"])
        with page.expect_download(timeout=180000) as dl:
            page.get_by_text("Download the report (PDF)").click()
        from pypdf import PdfReader

        pages = [p.extract_text() for p in PdfReader(dl.value.path()).pages]
        assert dl.value.suggested_filename.endswith(".pdf") and "masked" in \
            dl.value.suggested_filename
        assert all("CLOSED SESSION — CONFIDENTIAL" in t for t in pages)
        assert "Key to the groups" in pages[-1] and "RT alone" not in "".join(pages[:-1])
        page.wait_for_function(IDLE, timeout=60000)
        page.wait_for_timeout(1000)
        import sqlite3

        con = sqlite3.connect(SERVER_STATE["dir"] / "state.sqlite")
        audit = con.execute("SELECT action, detail FROM audit").fetchall()
        con.close()
        assert any(a == "report_download" and "format=pdf session=masked" in d
                   for a, d in audit)
    finally:
        page.close()
