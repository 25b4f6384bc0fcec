"""Charts for the PDF and DOCX reports, drawn by a renderer that cannot hang the report.

Each report starts one renderer process (:mod:`rfa_dash.report.render_worker`: Kaleido's
Chromium) as soon as it begins, so Chromium starts while the sections are computed, then
sends it every figure at once. The process has :data:`TIMEOUT_S` (plus a little per
figure) from its start to answer; if it does not, it is killed with its Chromium and a
fresh one is tried once; a second silence raises :class:`RenderError` with one line, and
nothing is written. At most :data:`AT_ONCE` renderers run at a time on a server.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import plotly.graph_objects as go

FIG_WIDTH = 900
TIMEOUT_S = 60.0          # start and draw, for a report's figures ...
PER_FIGURE_S = 2.0        # ... plus this per figure
AT_ONCE = 2               # renderers running at a time (each a Chromium)
MAX_OUTPUT = 256 << 20    # bytes of images one report may bring back
WORKER = [sys.executable, "-m", "rfa_dash.report.render_worker"]
_SLOTS = threading.BoundedSemaphore(AT_ONCE)

Draw = Callable[[list[go.Figure], str], list[bytes]]


class RenderError(RuntimeError):
    """The chart renderer failed or did not answer in time (twice)."""


def _start() -> tuple[subprocess.Popen[bytes], float]:
    proc = subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    return proc, time.monotonic()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The renderer and everything it started (Chromium's processes share its group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _ask(proc: subprocess.Popen[bytes], started: float, payload: bytes, budget: float
         ) -> list[bytes] | None:
    """The renderer's images, or None when it fails or does not answer within ``budget``
    seconds of its start (it is then killed)."""
    try:
        out, _ = proc.communicate(payload, timeout=max(1.0, started + budget - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill(proc)
        return None
    if proc.returncode != 0 or not out or len(out) > MAX_OUTPUT:
        return None
    images = pickle.loads(out)   # our own child's answer (see render_worker)
    return images if isinstance(images, list) else None


@contextmanager
def figure_renderer() -> Iterator[Draw]:
    """A renderer started at once, and ``draw(figs, fmt)``: each figure as SVG (or PNG at
    twice the size), bounded in time (see the module text). Stopped on leaving.

    Raises
    ------
    RenderError
        From ``draw``, when the renderer did not answer in time twice, or failed twice.
    """
    with _SLOTS:
        proc, started = _start()

        def draw(figs: list[go.Figure], fmt: str = "svg") -> list[bytes]:
            nonlocal proc, started
            if not figs:
                return []
            payload = pickle.dumps(([f.to_plotly_json() for f in figs], fmt, FIG_WIDTH))
            budget = TIMEOUT_S + PER_FIGURE_S * len(figs)
            for attempt in range(2):
                if attempt:
                    proc, started = _start()
                images = _ask(proc, started, payload, budget)
                if images is not None and len(images) == len(figs):
                    return images
            raise RenderError(f"the chart renderer did not draw the report's {len(figs)} "
                              f"charts within {budget:.0f} s, twice; nothing was written")
        try:
            yield draw
        finally:
            if proc.poll() is None:
                _kill(proc)


def images(figs: list[go.Figure], fmt: str = "svg") -> list[bytes]:
    """Each figure as SVG (or PNG at twice the size), by one bounded renderer for all."""
    if not figs:
        return []
    with figure_renderer() as draw:
        return draw(figs, fmt)
