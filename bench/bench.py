"""Benchmark rfa_dash at 36, 10,000 and 100,000 participants; write docs/performance.md.

    .venv/bin/python bench/bench.py [--sizes 36,10000,100000] [--out docs/performance.md]
                                    [--browser-trials 3] [--browser-only]

Each size runs in its own process (so peak memory is that size's own). It
measures: synth time; load and validate against DuckDB's bare read_csv of the
same files into tables (the floor; a bare row count is shown beside it); a
second load from the Parquet cache; every CLI command; every page's script
time through AppTest, cold (data caches empty, export already loaded) and
warm (rerun), against an empty Streamlit page (the framework's floor); and
peak resident memory; and what a person waits for in Chromium (bench/browser.py: the first
page after a fresh server says healthy, page switches, the closed PDF). This is a benchmark, not a
test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rfa_dash.page_registry import PAGES

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = ["check", "eligibility", "visits", "overdue", "sre", "progression", "sre-rate",
            "recurrent", "pain", "report", "report-pdf", "to-redcap", "import-redcap",
            "add-user"]


READING = {"check", "eligibility", "visits", "overdue", "sre", "progression", "sre-rate",
           "recurrent", "pain"}
SLOW_COMMANDS = {"report", "report-pdf", "to-redcap", "import-redcap"}   # timed once


def _argv(cmd: str, folder: Path, work: Path, n: int) -> list[str]:
    """Arguments of one CLI command on the export ``folder`` (outputs under ``work``)."""
    rc, out = work / f"redcap_{n}", work / f"out_{n}"
    return {
        "report": ["report", str(folder), "--role", "dsmb", "--out", str(out / "report.html")],
        "report-pdf": ["report", str(folder), "--role", "dsmb", "--out", str(out / "report.pdf")],
        "to-redcap": ["to-redcap", str(folder), "--out", str(rc)],
        "import-redcap": ["import-redcap", str(rc), "--out", str(out / "from_redcap")],
        "add-user": ["add-user", "u", "--role", "dsmb", "--password-stdin"],
    }.get(cmd, [cmd, str(folder), "--format", "csv"])


def _timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _decisions(exp) -> dict:
    """Milliseconds (best of 5) of the safety rule's design and operating characteristics
    at n_max 24, 100 and 200 (computed afresh, not from its memo), and of the rule's path
    and the main trial's size on the loaded export (issue 35: each under 100 ms)."""
    from rfa_dash.analysis.main_trial import main_trial_table
    from rfa_dash.analysis.safety_rule import safety_rule_table
    from rfa_dash.stats.safety_boundary import crossing, design, oc_rates

    def rule(n):
        b = design(0.10, n, 0.10)
        for p in oc_rates(0.10, 0.30):
            crossing(b.max_events, p)

    out = {f"design_oc_{n}": 1000 * _timed(lambda n=n: rule(n), repeat=5) for n in (24, 100, 200)}
    as_of = exp.default_as_of
    out["path"] = 1000 * _timed(lambda: safety_rule_table(exp, as_of), repeat=5)
    out["main_trial"] = 1000 * _timed(lambda: main_trial_table(exp, as_of), repeat=5)
    return out


def _bare_scan(folder: Path) -> None:
    """DuckDB counts the rows of every file: parses, keeps nothing."""
    import duckdb

    con = duckdb.connect()
    for f in sorted(folder.glob("*.csv")):
        con.execute("SELECT count(*) FROM read_csv($p, all_varchar = true)",
                    {"p": str(f)}).fetchall()
    con.close()


def _bare_read(folder: Path) -> None:
    """DuckDB's own bare read: every file into a table, types sniffed, nothing checked.

    This is the floor for load and validate, which also ends with the data in
    tables, only checked and typed by the contract.
    """
    import duckdb

    con = duckdb.connect()
    for i, f in enumerate(sorted(folder.glob("*.csv"))):
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv($p)", {"p": str(f)})
    con.close()


def _like_the_server() -> None:
    """AppTest reruns as the server does (see rfa_dash.ui.multipage).

    Every rerun runs the router (sign-in, sidebar, navigation) and then the
    page, and a script is compiled once (the server keeps compiled scripts;
    AppTest compiles both scripts on every run, which is the harness's cost,
    not the app's). Applied to the empty page too.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    from rfa_dash.ui.multipage import run_like_the_server

    run_like_the_server()
    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def _interleaved(fns: dict, rounds: int, repeat: int = 1) -> dict:
    """Best time of each of ``fns`` over ``rounds`` rounds that run each of them in turn
    (``repeat`` times in a row).

    Timings on a shared machine drift by a factor of up to two over minutes;
    a ratio between two figures is only fair when both are measured in the
    same minutes, so they are measured in alternation.
    """
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], _timed(fn, repeat))
    return best


def _apptest(app: str, page: str | None, state: dict):
    """An AppTest on ``page`` (None: the app's first page), run once."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(app, default_timeout=600)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(PAGES[page].file).run()
    assert not at.exception, at.exception
    return at


def _pages(apps: dict) -> dict:
    """(cold s, warm s) of every AppTest in ``apps``: cold with every data cache emptied,
    warm as the best of 100 reruns, ten at a time, every page in turn."""
    from rfa_dash.ui import memos

    cold = {}
    for name, at in apps.items():
        memos.clear_caches()
        cold[name] = _timed(at.run)
        assert not at.exception, at.exception
    for at in apps.values():
        at.run()  # caches filled again after the other pages' cold runs

    warm = _interleaved({name: at.run for name, at in apps.items()}, rounds=10, repeat=10)
    for at in apps.values():
        assert not at.exception, at.exception
    return {name: (cold[name], warm[name]) for name in apps}


PDF_RUNS = ("import json, sys, threading, time\n"
            "from rfa_dash.ingest.export import open_export\n"
            "from rfa_dash.report import RenderError, build_pdf\n"
            "e = open_export(sys.argv[1])\n"
            "role = e.protocol.roles['dsmb']\n"
            "times, failed = [], 0\n"
            "for _ in range(50):\n"
            "    t = time.perf_counter()\n"
            "    try:\n"
            "        build_pdf(e, e.default_as_of, role)\n"
            "    except RenderError:\n"
            "        failed += 1\n"
            "    times.append(time.perf_counter() - t)\n"
            "pair, errs = [], []\n"
            "def one():\n"
            "    t = time.perf_counter()\n"
            "    try:\n"
            "        build_pdf(e, e.default_as_of, role)\n"
            "    except RenderError as exc:\n"
            "        errs.append(str(exc))\n"
            "    pair.append(time.perf_counter() - t)\n"
            "t = time.perf_counter()\n"
            "th = [threading.Thread(target=one) for _ in range(2)]\n"
            "[x.start() for x in th]; [x.join() for x in th]\n"
            "print(json.dumps({'times': times, 'failed': failed, 'pair': pair,\n"
            "                  'pair_wall': time.perf_counter() - t, 'pair_failed': len(errs)}))\n")


def _pdf_runs(folder: Path) -> dict:
    """Fifty closed PDFs in a row on one loaded export, then two at once (as two sessions'
    downloads): each bounded by the renderer's own time limit (report/charts_render.py)."""
    r = subprocess.run([sys.executable, "-c", PDF_RUNS, str(folder)], cwd=ROOT,
                       capture_output=True, text=True, check=True, env=dict(os.environ))
    return json.loads(r.stdout.strip().splitlines()[-1])


# a process's own peak: VmHWM, not ru_maxrss (which starts from the parent's size at fork
# and survives the exec, so a child of a 1 GB benchmark "peaks" at 1 GB)
PEAK = ("next(int(x.split()[1]) / 1024 for x in open('/proc/self/status') "
        "if x.startswith('VmHWM'))")
APP_MEMORY = ("import os, resource, sys\n"
              "sys.path.insert(0, sys.argv[2])\n"
              "import bench\n"
              "from rfa_dash import auth\n"
              "from rfa_dash.page_registry import PAGES\n"
              "if auth.account('bench') is None:\n"
              "    auth.add_user('bench', 'bench-password', 'dsmb')\n"
              "state = {'user': auth.account('bench'), 'source': 'Folder on this server',\n"
              "         'folder': sys.argv[1]}\n"
              "bench._like_the_server()\n"
              "for p in PAGES:\n"
              "    bench._apptest(str(bench.ROOT / 'app.py'),\n"
              "                   None if PAGES[p].default else p, state)\n"
              "print(" + PEAK + ")\n")


def _app_memory(folder: Path, work: Path, n: int) -> float:
    """Peak memory of the app alone, in a process of its own: the export loaded and
    validated as a server's first session does (no Parquet cache yet), then every page
    opened as the DSMB (which sees every page)."""
    env = dict(os.environ, RFA_DASH_CACHE_DIR=str(work / f"app_cache_{n}"),
               RFA_DASH_SECRET="bench", RFA_DASH_EXPORT_ROOT=str(work),
               RFA_DASH_STATE_URL=f"sqlite:///{work / f'app_state_{n}.sqlite'}")
    r = subprocess.run([sys.executable, "-c", APP_MEMORY, str(folder),
                        str(Path(__file__).resolve().parent)], cwd=ROOT, env=env,
                       capture_output=True, text=True, check=True)
    return float(r.stdout.strip().splitlines()[-1])


def one_size(n: int, work: Path) -> dict:
    """Measure one size; runs in its own process."""
    from rfa_dash import auth
    from rfa_dash.ingest.export import open_export
    from rfa_dash.synth import synth

    folder = work / f"export_{n}"
    out: dict = {"participants": n}
    out["synth_s"] = _timed(lambda: synth(folder, n, seed=7))
    out["files_mb"] = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    out["bare_scan_s"] = _timed(lambda: _bare_scan(folder), repeat=5)
    os.environ["RFA_DASH_CACHE_DIR"] = str(work / f"cache_{n}")
    exp = None

    def load(use_cache):
        nonlocal exp
        if exp is not None:
            exp.close()  # one export in memory at a time, as in the app
        exp = open_export(folder, use_cache=use_cache)

    both = _interleaved({"bare": lambda: _bare_read(folder), "load": lambda: load(False)},
                        rounds=5 if n > 10_000 else 9)
    out["bare_read_s"], out["load_validate_s"] = both["bare"], both["load"]
    load(True)  # writes the cache
    out["load_cached_s"] = _timed(lambda: load(True), repeat=3)
    out["randomized"] = int(exp.query("randomizations", as_of=exp.default_as_of).shape[0])
    out["decisions_ms"] = _decisions(exp)
    exp.close()
    # the closed PDF report on the loaded export (what the page's button does), in a
    # process of its own so that its memory is its own figure, not this process's peak
    code = ("import json, resource, sys, time\n"
            "from rfa_dash.ingest.export import open_export\n"
            "from rfa_dash.report import build_pdf\n"
            "e = open_export(sys.argv[1])\n"
            "times = []\n"
            "for _ in range(2):   # the renderer started for it, then kept warm\n"
            "    t = time.perf_counter()\n"
            "    build_pdf(e, e.default_as_of, e.protocol.roles['dsmb'])\n"
            "    times.append(time.perf_counter() - t)\n"
            "print(json.dumps([*times,\n"
            "                  " + PEAK + "]))\n")
    r = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True,
                       text=True, check=True, env=dict(os.environ))
    out["report_pdf_s"], out["report_pdf_warm_s"], out["report_pdf_mb"] = json.loads(
        r.stdout.strip().splitlines()[-1])
    out["app_peak_mb"] = _app_memory(folder, work, n)
    if n <= 100:   # the pilot's size: fifty PDFs in a row, then two at once (two sessions)
        out["pdf_runs"] = _pdf_runs(folder)
    out["cli_s"] = {}
    # the floor of every command: Python starting and importing DuckDB and pyarrow
    out["cli_floor_s"] = _timed(lambda: subprocess.run(
        [sys.executable, "-c", "import duckdb, pyarrow, pyarrow.parquet, pyarrow.csv"],
        check=True), repeat=5)
    cli_repeat = 5 if n <= 100 else 3 if n <= 10_000 else 1
    env = dict(os.environ, RFA_DASH_CACHE_DIR=str(work / f"cache_{n}"), RFA_DASH_SECRET="bench",
               RFA_DASH_STATE_URL=f"sqlite:///{work / f'cli_state_{n}.sqlite'}")
    (work / f"out_{n}").mkdir(exist_ok=True)
    for cmd in COMMANDS:  # in order: import-redcap reads what to-redcap wrote
        def run(cmd=cmd):
            r = subprocess.run([sys.executable, "-m", "rfa_dash", *_argv(cmd, folder, work, n)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, input=b"bench-pw-1\n",
                               stderr=subprocess.PIPE, check=False)
            if r.returncode not in (0, 1):  # 1: `check` found problems
                raise RuntimeError(f"{cmd}: {r.stderr.decode()}")
        out["cli_s"][cmd] = _timed(run, repeat=1 if cmd in SLOW_COMMANDS else cli_repeat)
    # REDCap: the folder to-redcap wrote, imported and opened directly, against the load
    from rfa_dash.ingest.redcap.importer import import_folder, write_contract

    rc = work / f"redcap_{n}"

    def redcap_import():
        write_contract(import_folder(rc), work / f"out_{n}" / "imported")

    def redcap_open():
        nonlocal exp
        exp.close()
        exp = open_export(rc, use_cache=False)

    exp = open_export(folder, use_cache=False)
    rounds = 3 if n > 10_000 else 5
    both = _interleaved({"load": lambda: load(False), "import": redcap_import,
                         "open": redcap_open}, rounds=rounds)
    exp.close()
    exp = None
    out["redcap_load_s"], out["redcap_import_s"], out["redcap_open_s"] = (
        both["load"], both["import"], both["open"])
    out["redcap_mb"] = (rc / "redcap_records.csv").stat().st_size / 1e6
    # pages, signed in as the DSMB role (sees every page) on this export
    os.environ["RFA_DASH_SECRET"] = "bench"
    os.environ["RFA_DASH_STATE_URL"] = f"sqlite:///{work / f'state_{n}.sqlite'}"
    if auth.account("bench") is None:
        auth.add_user("bench", "bench-password", "dsmb")
    # a saved cut 90 days back, so the report page also compares against it
    from rfa_dash.analysis import cuts

    exp = open_export(folder)
    cuts.save_cut(exp, exp.default_as_of - dt.timedelta(days=90))
    exp.close()
    os.environ["RFA_DASH_EXPORT_ROOT"] = str(work)   # the folder source needs a root
    state = {"user": auth.account("bench"), "source": "Folder on this server",
             "folder": str(folder)}
    _like_the_server()
    empty = work / "empty_app.py"
    empty.write_text("import streamlit as st\nst.title('empty')\n")
    apps = {"": _apptest(str(empty), None, {})}
    apps |= {p: _apptest(str(ROOT / "app.py"), None if PAGES[p].default else p, state)
             for p in PAGES}
    times = _pages(apps)
    out["empty_page_s"] = times.pop("")
    out["pages_s"] = times
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import streamlit

    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, streamlit "
            f"{streamlit.__version__}, duckdb {duckdb.__version__}")


def report(results: list[dict], when: str) -> str:
    lines = ["# Performance", "",
             f"Measured {when} by `bench/bench.py` on: {machine()}.", "",
             "Times in seconds (best of several runs where repeated); warm page reruns in "
             "milliseconds (best of 100). Figures compared with each other (load and the bare "
             "read; every page and the empty page) are measured in alternation, so both see "
             "the same machine. Pages run through AppTest as the DSMB role (every "
             "page) as the server runs them: every rerun runs the router (sign-in check, "
             "sidebar, navigation) and then the page, and scripts are compiled once. *cold* = "
             "data caches empty with the export already loaded, *warm* = a rerun with cached "
             "results. The empty page is a one-line Streamlit script run the same way: the "
             "framework's own floor.", "",
             "| | " + " | ".join(f"{r['participants']:,} participants" for r in results) + " |",
             "|---|" + "---|" * len(results)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")

    row("randomized (synthetic)", lambda r: f"{r['randomized']:,}")
    row("export size, MB (CSV)", lambda r: f"{r['files_mb']:.1f}")
    row("synth", lambda r: f"{r['synth_s']:.2f}")
    row("DuckDB bare scan (count rows only)", lambda r: f"{r['bare_scan_s']:.2f}")
    row("DuckDB bare read_csv into tables (floor)", lambda r: f"{r['bare_read_s']:.2f}")
    row("Python starting with DuckDB and pyarrow (the commands' floor)",
        lambda r: f"{r['cli_floor_s']:.2f}")
    row("load and validate", lambda r: f"{r['load_validate_s']:.2f} "
        f"({r['load_validate_s'] / r['bare_read_s']:.1f}x floor)")
    row("load from the Parquet cache", lambda r: f"{r['load_cached_s']:.2f}")
    row("REDCap records file, MB", lambda r: f"{r['redcap_mb']:.1f}")
    row("REDCap import (convert, write contract CSV)", lambda r: f"{r['redcap_import_s']:.2f} "
        f"({r['redcap_import_s'] / r['redcap_load_s']:.1f}x load)")
    row("REDCap folder opened directly (convert, load, validate)",
        lambda r: f"{r['redcap_open_s']:.2f} ({r['redcap_open_s'] / r['redcap_load_s']:.1f}x "
        "load)")
    row("DSMB report PDF, closed, on the loaded export: renderer started for it / kept warm "
        "(s; peak MB of its process)",
        lambda r: f"{r['report_pdf_s']:.2f} / {r['report_pdf_warm_s']:.2f} "
        f"({r['report_pdf_mb']:.0f} MB)")
    row("50 closed PDFs in a row: median / slowest s, failed; then two at once: wall s, "
        "failed",
        lambda r: (f"{statistics.median(r['pdf_runs']['times']):.2f} / "
                   f"{max(r['pdf_runs']['times']):.2f}, {r['pdf_runs']['failed']}; "
                   f"{r['pdf_runs']['pair_wall']:.2f}, {r['pdf_runs']['pair_failed']}")
        if "pdf_runs" in r else "(at 36 only)")
    for cmd in COMMANDS:
        # against the commands' floor (Python with DuckDB and pyarrow) and, for the reading
        # commands, against DuckDB's bare read of the same export (issue 33: <= 3x at 100,000)
        row(f"CLI `{cmd}`", lambda r, c=cmd: f"{r['cli_s'][c]:.2f} "
            f"({r['cli_s'][c] / r['cli_floor_s']:.1f}x floor"
            + (f", {r['cli_s'][c] / r['bare_read_s']:.1f}x bare read" if c in READING else "")
            + ")" if "cli_floor_s" in r else f"{r['cli_s'][c]:.2f}")
    row("safety rule: boundary and operating characteristics at n_max 24 / 100 / 200, ms",
        lambda r: " / ".join(f"{r['decisions_ms'][f'design_oc_{n}']:.0f}"
                             for n in (24, 100, 200)) if "decisions_ms" in r else "-")
    row("safety rule's path and the main trial's size on the export, ms",
        lambda r: f"{r['decisions_ms']['path']:.0f} / {r['decisions_ms']['main_trial']:.0f}"
        if "decisions_ms" in r else "-")
    row("empty page, cold s / warm ms", lambda r: f"{r['empty_page_s'][0]:.3f} / "
        f"{r['empty_page_s'][1] * 1000:.1f}")
    for p in PAGES:
        row(f"page `{p}`, cold s / warm ms", lambda r, p=p: f"{r['pages_s'][p][0]:.2f} / "
            f"{r['pages_s'][p][1] * 1000:.1f} "
            f"({r['pages_s'][p][1] / r['empty_page_s'][1]:.1f}x)")
    row("the app's peak memory, MB: a process of its own, the export loaded and validated, "
        "every page as the DSMB", lambda r: f"{r['app_peak_mb']:.0f}")
    row("the benchmark process's peak memory, MB (all of the above in one process: the "
        "REDCap conversions, both loads, every page)", lambda r: f"{r['peak_rss_mb']:.0f}")
    lines += ["", "Targets (2 cores): every page's warm rerun under 1 s at 100,000 and within "
              "3x of the empty page at 36; load and validate within 2x of the bare read; peak "
              "memory under 2 GB at 100,000; the DSMB report PDF under 10 s at 36 and 60 s at "
              "100,000. The ratio after each warm time is against the "
              "empty page's warm rerun.", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="36,10000,100000")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--browser-trials", type=int, default=3,
                    help="fresh servers timed in Chromium (bench/browser.py); 0 to skip")
    ap.add_argument("--browser-only", action="store_true",
                    help="time the browser rows only and replace their section in --out")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.work)))
        return 0
    browser = ""
    if args.browser_trials:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import browser as browser_bench

        print("timing the browser rows...", file=sys.stderr)
        browser = browser_bench.markdown(browser_bench.measure(args.browser_trials))
    if args.browser_only:
        old = args.out.read_text(encoding="utf-8")
        head, rest = old.split("\n## Findings", 1)
        head = head.split("\n## What a person waits for (Chromium)", 1)[0].rstrip("\n")
        args.out.write_text(f"{head}\n\n{browser}\n## Findings{rest}", encoding="utf-8")
        print(browser)
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="rfa_bench_") as work:
        for n in (int(x) for x in args.sizes.split(",")):
            print(f"benchmarking {n:,} participants...", file=sys.stderr)
            r = subprocess.run([sys.executable, __file__, "--one", str(n), "--work", work],
                               capture_output=True, text=True, check=True)
            results.append(json.loads(r.stdout.strip().splitlines()[-1]))
    text = report(results, time.strftime("%Y-%m-%d")) + ("\n" + browser if browser else "")
    # keep the hand-written findings below the measured table
    if args.out.exists() and "\n## Findings" in args.out.read_text(encoding="utf-8"):
        text += "\n## Findings" + args.out.read_text(encoding="utf-8").split("\n## Findings", 1)[1]
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
