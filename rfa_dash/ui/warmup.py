"""What the first visitor would wait for, done when the server starts, before it listens.

A fresh server process has imported Streamlit only. Left to the first visitor, the
first page also pays for importing the libraries and the package's analyses (about a
second and a half), loading and validating the export, and each chart kind's first
drawing (Plotly builds its property validators the first time a trace type or layout
property is used). ``python -m rfa_dash serve`` (:mod:`rfa_dash.cli.serve`) calls
:func:`warm_up` before it starts Streamlit's server, so its health check answers only
once this is done (docs/deploy.md: a restarted server is ready then).

What is warmed is what every visitor meets first: the bundled sample (the demo's data
and every signed-in session's first source) and the export folders most recently
changed under ``RFA_DASH_EXPORT_ROOT`` (at most :data:`ROOT_EXPORTS`). Results are
computed when a page asks for them; they are quick once the above is done.

Example
-------
>>> from rfa_dash.ui.warmup import page_modules
>>> "rfa_dash.ui" in page_modules()
True
"""

from __future__ import annotations

import ast
import importlib
import logging
import os
import time
from pathlib import Path

from rfa_dash import settings
from rfa_dash.contract import FILE_SUFFIXES, TABLES
from rfa_dash.ingest.export import SAMPLE_DIR, ExportError
from rfa_dash.protocol import load_protocol
from rfa_dash.ui import memos, source

ROOT = Path(__file__).resolve().parent.parent.parent
ROOT_EXPORTS = 3            # export folders under the export root loaded at start-up
LOG = logging.getLogger("rfa_dash.warmup")


def page_modules() -> list[str]:
    """Every module the router and the page scripts import (read from their source)."""
    names: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names |= {f"{node.module}.{a.name}" for a in node.names}
    return sorted(n for n in names if importlib.util.find_spec(n.split(".")[0]) is not None
                  and _is_module(n))


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False   # ``from package import function``: the package is listed already


def _looks_like_export(folder: Path) -> bool:
    """A folder holding a contract table's file or a manifest (an export, a fetched REDCap
    project): nothing else under the root is opened at start-up."""
    names = {"manifest.json"} | {t + s for t in TABLES for s in FILE_SUFFIXES}
    try:
        with os.scandir(folder) as entries:
            return any(e.name in names for e in entries)
    except OSError:
        return False


def _recent_exports(root: Path) -> list[Path]:
    """The export folders directly under ``root``, most recently changed first."""
    try:
        found = [p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir()
                 and _looks_like_export(p)]
    except OSError:
        return []
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[:ROOT_EXPORTS]


def warm_up() -> list[str]:
    """Import, load and draw once what the first visitor would otherwise wait for.

    Never raises for the data: an export that cannot be read is said in the log (the
    page says it to the visitor, as before).

    Returns
    -------
    list of str
        One line per step, with its time (also logged to ``rfa_dash.warmup``).
    """
    done: list[str] = []

    def step(what: str, t: float) -> None:
        line = f"{what} ({time.monotonic() - t:.2f} s)"
        LOG.info(line)
        done.append(line)

    t = time.monotonic()
    for name in page_modules():
        importlib.import_module(name)
    step("imported what the pages import", t)
    t = time.monotonic()
    protocol = load_protocol()
    folders = [SAMPLE_DIR]
    root = settings.export_root()
    if root and os.path.isdir(root):
        folders += _recent_exports(Path(root))
    for folder in folders:
        try:
            source.load_export(folder, protocol.source, on_page=False)
        except ExportError as exc:
            LOG.warning("not loaded at start-up: %s", str(exc).splitlines()[0])
    step(f"loaded {len(folders)} export(s)", t)
    t = time.monotonic()
    memos.warm_figures()
    step("drew a first figure", t)
    return done


def run_server(app: Path, options: list[str]) -> int:
    """``streamlit run app`` with ``options``, in this process (so what :func:`warm_up`
    did is the server's); returns the server's exit status when it stops."""
    import sys

    from streamlit.web import cli as streamlit_cli

    from rfa_dash.ui.multipage import router_only

    router_only()
    sys.argv = ["streamlit", "run", str(app), *options]
    try:
        streamlit_cli.main()   # click: exits with the server's status
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0
