"""What a person waits for, timed in Debian's Chromium: a fresh server per trial, demo mode.

    .venv/bin/python bench/browser.py [--trials 3]

Rows (issue 39), each the median over ``--trials`` fresh servers:

- *first page*: from the server's health check answering ``ok`` to the Overview's script
  finished with every chart drawn (the request sent at once, as a person arriving then);
- *first visit* to SRE incidence, Pain and Safety (click on the page link to the script
  finished, every chart drawn), and the same pages *on return*;
- *closed DSMB PDF*: click to saved file, right after the report page has opened, then the
  same PDF again;
- the floor: a one-line Streamlit page of its own, served and timed the same way; and, for
  comparison, the first page of ``streamlit run app.py`` without the warm-up.

"Finished" is Streamlit's own mark (``data-test-script-state`` on the app) staying
``notRunning`` with no status widget, the page's heading shown and every Plotly chart's
SVG drawn. A benchmark, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
VISITS = ("sre", "pain", "safety")
DONE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (!document.querySelector('[data-testid="stMainBlockContainer"] h1')) return false;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  for (const c of charts) { if (!c.querySelector('svg.main-svg')) return false; }
  return true;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(script: Path, state: Path, warm: bool = True) -> Iterator[tuple[str, float]]:
    """``python -m rfa_dash serve`` for ``app.py`` (``streamlit run`` for any other script, or
    with ``warm=False``) on a free port; yield its URL and the moment (monotonic) its health
    check first answered ``ok`` (polled every 20 ms)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFA_DASH_")}
    env.update(RFA_DASH_STATE_URL=f"sqlite:///{state / 'state.sqlite'}",
               RFA_DASH_CACHE_DIR=str(state / "cache"))
    cmd = [sys.executable, "-m", "rfa_dash", "serve"] if script.name == "app.py" and warm \
        else [sys.executable, "-m", "streamlit", "run", str(script)]
    proc = subprocess.Popen([*cmd, "--server.port", str(port), "--server.address",
                             "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
        else:
            raise RuntimeError(f"{script.name}: the server did not answer in 120 s")
        yield url, time.monotonic()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _done(page, timeout_ms: int = 60000) -> None:
    """Wait for the script to have finished (twice, 100 ms apart: a rerun may follow)."""
    for _ in range(2):
        page.wait_for_function(DONE, timeout=timeout_ms, polling=20)
        page.wait_for_timeout(100)


def _choose_dsmb(page) -> None:
    """Choose the DSMB role as a keyboard user would (a keystroke that lands while a rerun
    replaces the widget can be lost: tried a few times, as the browser tests do)."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input')
    for _ in range(5):
        if box.input_value() != "DSMB member":
            box.click()
            box.fill("")
            box.press_sequentially("DSMB", delay=50)
            page.get_by_role("option", name="DSMB member").wait_for(timeout=10000)
            box.press("Enter")
        try:
            page.wait_for_function("() => document.querySelectorAll("
                                   "'[data-testid=\"stSidebarNav\"] a').length > 8",
                                   timeout=8000)
            break
        except Exception:  # noqa: BLE001 - tried again
            continue
    _done(page)


def _click_page(page, nav: str, title: str) -> float:
    t = time.monotonic()
    page.locator('[data-testid="stSidebarNav"] a', has_text=nav).first.click()
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] h1')]"
        ".some(h => h.textContent.includes(t))", arg=title, timeout=60000, polling=20)
    _done(page)
    return time.monotonic() - t - 0.1   # less the second check's pause


def one_trial(browser, work: Path) -> dict:
    """One fresh server: the first page, the page visits and the PDF."""
    from rfa_dash.page_registry import PAGES

    state = Path(tempfile.mkdtemp(dir=work))
    out: dict = {}
    with serve(ROOT / "app.py", state) as (url, healthy):
        ctx = browser.new_context(viewport={"width": 1400, "height": 900},
                                  accept_downloads=True)
        page = ctx.new_page()
        page.goto(url, wait_until="commit")
        _done(page)
        out["first_page"] = time.monotonic() - healthy - 0.1
        _choose_dsmb(page)
        for name in VISITS:
            out[f"first_{name}"] = _click_page(page, PAGES[name].nav, PAGES[name].heading)
        for name in VISITS:
            out[f"return_{name}"] = _click_page(page, PAGES[name].nav, PAGES[name].heading)
        _click_page(page, PAGES["report"].nav, PAGES["report"].heading)
        for key in ("pdf", "pdf_again"):
            t = time.monotonic()
            with page.expect_download(timeout=120000) as dl:
                page.get_by_role("button", name="Download the report (PDF)").click()
            dl.value.save_as(str(state / f"{key}.pdf"))
            out[key] = time.monotonic() - t
        ctx.close()
    return out


def first_view(browser, script: Path, work: Path, warm: bool = True) -> float:
    """``script`` served fresh: from its health check to its first page's script finished."""
    state = Path(tempfile.mkdtemp(dir=work))
    with serve(script, state, warm=warm) as (url, healthy):
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        page.goto(url, wait_until="commit")
        _done(page)
        took = time.monotonic() - healthy - 0.1
        ctx.close()
    return took


def plain_first_page(browser, work: Path) -> float:
    """The first page of a server started by plain ``streamlit run app.py`` (no warm-up):
    what the warm-up saves."""
    return first_view(browser, ROOT / "app.py", work, warm=False)


def floor_trial(browser, work: Path) -> float:
    """A one-line Streamlit page served fresh: health to its script finished."""
    script = work / "empty_page.py"
    script.write_text('import streamlit as st\n\nst.title("empty")\n', encoding="utf-8")
    return first_view(browser, script, work)


def measure(trials: int = 3) -> dict:
    """Medians over ``trials`` fresh servers of every row (seconds)."""
    from playwright.sync_api import sync_playwright

    runs: list[dict] = []
    floors: list[float] = []
    plain: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rfa_browser_") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking", "--no-first-run"])
        for _ in range(trials):
            floors.append(floor_trial(browser, Path(tmp)))
            plain.append(plain_first_page(browser, Path(tmp)))
            runs.append(one_trial(browser, Path(tmp)))
        browser.close()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    med["floor"] = statistics.median(floors)
    med["plain_first_page"] = statistics.median(plain)
    med["trials"] = trials
    return med


ROWS = [("first page (Overview) after the server says healthy", "first_page", 3.0),
        ("first visit to SRE incidence / Pain / Safety", "first_", 1.0),
        ("the same pages on return", "return_", 0.5),
        ("closed DSMB PDF, click to saved file, right after opening the report page", "pdf",
         2.0),
        ("the same PDF again", "pdf_again", None)]


def markdown(med: dict) -> str:
    """The browser rows as a markdown section (bench/bench.py puts it in docs/performance.md)."""
    def cell(key: str) -> str:
        if key.endswith("_"):
            return " / ".join(f"{med[key + v]:.2f}" for v in VISITS)
        return f"{med[key]:.2f}"

    lines = ["## What a person waits for (Chromium)", "",
             f"Measured by `bench/browser.py`: Debian's Chromium driven by Playwright, demo "
             f"mode, a fresh `python -m rfa_dash serve` per trial, medians of {med['trials']} "
             "trials, seconds from the request or click to the page's script finished with "
             "every chart drawn (Streamlit's own mark, `data-test-script-state`, and each "
             "Plotly chart's SVG). The first page is the demo's first role's (Study "
             "coordinator); the other pages and the PDF as the DSMB role.", "",
             "| what | measured | goal |", "|---|---|---|"]
    for label, key, goal in ROWS:
        lines.append(f"| {label} | {cell(key)} | "
                     + (f"<= {goal:g} s" if goal else "kept") + " |")
    lines += [f"| the floor: a one-line Streamlit page, first view after health | "
              f"{med['floor']:.2f} | |",
              f"| first page of plain `streamlit run app.py` (no warm-up), for comparison | "
              f"{med['plain_first_page']:.2f} | |", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=3)
    med = measure(ap.parse_args().trials)
    print(json.dumps(med, indent=1))
    print(markdown(med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
