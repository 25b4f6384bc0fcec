"""Charts for the PDF and DOCX reports, drawn by a renderer that cannot hang the report.

The renderer is a process of its own (:mod:`rfa_dash.report.render_worker`: Kaleido's
Chromium) that draws one report's figures per request. Starting Chromium is most of a
small report's time, so a renderer that answered is kept warm for the next report (at
most :data:`KEEP_WARM` of them, each for :data:`MAX_USES` reports; one left idle for
:data:`IDLE_S` exits by itself), and the report page starts one when it opens
(:func:`warm`). A report that finds none starts one as soon as it begins, so Chromium
starts while the sections are computed.

Each request has :data:`TIMEOUT_S` plus :data:`PER_FIGURE_S` a figure, counted from the
request (or from the start of a renderer started for it); a renderer that does not answer
in time is killed with its Chromium and a fresh one is tried once; a second silence
raises :class:`RenderError` with one line, and nothing is written. At most
:data:`AT_ONCE` reports draw at a time on a server.
"""

from __future__ import annotations

import atexit
import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go

from rfa_dash.report.document import figure_json

FIG_WIDTH = 900
TIMEOUT_S = 60.0          # start and draw, for a report's figures ...
PER_FIGURE_S = 2.0        # ... plus this per figure
AT_ONCE = 2               # reports drawing at a time (each with a Chromium of its own)
KEEP_WARM = 1             # idle renderers kept for the next report (each ~210 MB with its Chromium)
MAX_USES = 50             # reports one renderer draws before it is replaced (its memory)
IDLE_S = 900              # a renderer nobody asked for this long exits (render_worker)
MAX_OUTPUT = 256 << 20    # bytes of images one report may bring back
# run as a file, not a module of the package, so that the process imports plotly and
# Kaleido only (16 MB, against 200 MB with the package's analyses); -P keeps this folder
# (html.py, docx.py) off its module path
WORKER = [sys.executable, "-P", str(Path(__file__).with_name("render_worker.py"))]
HEADER = struct.Struct("!Q")   # each message: its length, then the pickle
_SLOTS = threading.BoundedSemaphore(AT_ONCE)
_LOCK = threading.Lock()

Draw = Callable[[list[go.Figure], str], list[bytes]]


class RenderError(RuntimeError):
    """The chart renderer failed or did not answer in time (twice)."""


@dataclass
class _Renderer:
    proc: subprocess.Popen[bytes]
    started: float
    command: tuple[str, ...]
    uses: int = 0
    idle_since: float = field(default_factory=time.monotonic)
    taken: float = field(default_factory=time.monotonic)   # by this report, or its last answer

    def alive(self) -> bool:
        return (self.proc.poll() is None
                and time.monotonic() - self.idle_since < IDLE_S - 60)   # (not about to quit)


_IDLE: list[_Renderer] = []


def _start() -> tuple[subprocess.Popen[bytes], float]:
    proc = subprocess.Popen([*WORKER, str(IDLE_S)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, time.monotonic()


def _new() -> _Renderer:
    proc, started = _start()
    return _Renderer(proc, started, tuple(WORKER), taken=started)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The renderer and everything it started (Chromium's processes share its group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _take() -> _Renderer:
    """A warm renderer of the current command if one is idle, else a new one."""
    with _LOCK:
        while _IDLE:
            r = _IDLE.pop()
            if r.command == tuple(WORKER) and r.alive():
                r.taken = time.monotonic()
                return r
            _kill(r.proc)
    return _new()


def _give_back(r: _Renderer) -> None:
    """Keep ``r`` warm for the next report, or stop it."""
    with _LOCK:
        if r.proc.poll() is None and r.uses < MAX_USES and len(_IDLE) < KEEP_WARM:
            r.idle_since = time.monotonic()
            _IDLE.append(r)
            return
    if r.proc.poll() is None:
        _kill(r.proc)


def warm() -> None:
    """Start a renderer now, for a report asked for later (the report page calls this):
    Chromium then starts while the user reads the page, not while they wait."""
    with _LOCK:
        if any(r.command == tuple(WORKER) and r.alive() for r in _IDLE) or \
                len(_IDLE) >= KEEP_WARM:
            return
    _give_back(_new())


@atexit.register
def stop_idle() -> None:
    """Stop every idle renderer (at exit; a test that wants a cold start)."""
    with _LOCK:
        idle = list(_IDLE)
        _IDLE.clear()
    for r in idle:
        _kill(r.proc)


def _exchange(r: _Renderer, payload: bytes, deadline: float) -> bytes | None:
    """Send one request and read its answer by ``deadline``; None if the renderer fails,
    says too much or is too slow (it is then killed)."""
    assert r.proc.stdin is not None and r.proc.stdout is not None
    out_fd, in_fd = r.proc.stdin.fileno(), r.proc.stdout.fileno()
    os.set_blocking(out_fd, False)
    os.set_blocking(in_fd, False)
    todo = memoryview(HEADER.pack(len(payload)) + payload)
    got = bytearray()
    need = HEADER.size
    with selectors.DefaultSelector() as sel:
        sel.register(out_fd, selectors.EVENT_WRITE)
        sel.register(in_fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(min(left, 1.0)):
                if key.fd == out_fd:
                    try:
                        todo = todo[os.write(out_fd, todo[:1 << 16]):]
                    except (BrokenPipeError, BlockingIOError):
                        if r.proc.poll() is not None:
                            break
                        continue
                    if not todo:
                        sel.unregister(out_fd)
                    continue
                chunk = os.read(in_fd, 1 << 20)
                if not chunk:   # the renderer died
                    _kill(r.proc)
                    return None
                got += chunk
                if need == HEADER.size and len(got) >= HEADER.size:
                    need += HEADER.unpack_from(got)[0]
                    if need > MAX_OUTPUT:
                        break
                if len(got) >= need > HEADER.size:
                    return bytes(got[HEADER.size:need])
            if r.proc.poll() is not None:
                break
    _kill(r.proc)
    return None


def _ask(r: _Renderer, payload: bytes, budget: float) -> list[bytes] | None:
    """The renderer's images, or None (see :func:`_exchange`). The time counts from when
    the report took the renderer (a new one: its start, Chromium starting while the
    sections are computed) or from its last answer."""
    answer = _exchange(r, payload, r.taken + budget)
    if answer is None:
        return None
    r.uses += 1
    r.taken = time.monotonic()
    images = pickle.loads(answer)   # our own child's answer (see render_worker)
    return images if isinstance(images, list) else None


@contextmanager
def figure_renderer() -> Iterator[Draw]:
    """A renderer (warm, or started at once), and ``draw(figs, fmt)``: each figure as SVG
    (or PNG at twice the size), bounded in time (see the module text). Kept warm or
    stopped on leaving.

    Raises
    ------
    RenderError
        From ``draw``, when the renderer did not answer in time twice, or failed twice.
    """
    with _SLOTS:
        r = _take()

        def draw(figs: list[go.Figure], fmt: str = "svg") -> list[bytes]:
            nonlocal r
            if not figs:
                return []
            payload = pickle.dumps(([figure_json(f) for f in figs], fmt, FIG_WIDTH))
            budget = TIMEOUT_S + PER_FIGURE_S * len(figs)
            for attempt in range(2):
                if attempt:
                    r = _new()
                images = _ask(r, payload, budget)
                if images is not None and len(images) == len(figs):
                    return images
                if r.proc.poll() is None:   # answered, but not with the images asked for
                    _kill(r.proc)
            raise RenderError(f"the chart renderer did not draw the report's {len(figs)} "
                              f"charts within {budget:.0f} s, twice; nothing was written")
        try:
            yield draw
        finally:
            _give_back(r)


class DrawAhead:
    """Draw figures while the rest of the report is computed.

    ``submit(figs)`` hands a finished section's figures to one background thread that asks
    ``draw`` for them (the renderer is a process of its own, so it draws on another core
    while the next sections are computed); :meth:`draw` then answers for the whole
    document, taking each figure submitted earlier by identity (the submitted objects are
    kept, so no other figure can take their identity) and drawing the rest at once. One
    request at a time reaches the renderer, in order; a failure is raised by
    :meth:`draw`, as the plain ``draw`` raises it.

    Example
    -------
    >>> ahead = DrawAhead(lambda figs, fmt: [b"x"] * len(figs), "svg")
    >>> f, g = go.Figure(), go.Figure()
    >>> ahead.submit([f])
    >>> ahead.draw([f, g], "svg")
    [b'x', b'x']
    >>> ahead.close()
    """

    def __init__(self, draw: Draw, fmt: str) -> None:
        import queue

        self._draw, self._fmt = draw, fmt
        self._todo: queue.SimpleQueue[tuple[list[go.Figure], str, Future[list[bytes]]] | None]
        self._todo = queue.SimpleQueue()
        self._done: list[tuple[list[go.Figure], Future[list[bytes]]]] = []
        self._failed: BaseException | None = None
        # a daemon thread of its own, not an executor's: a process that exits while a
        # report is drawn (a server stopped) does not wait for it
        self._thread = threading.Thread(target=self._work, name="rfa_draw_ahead", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (item := self._todo.get()) is not None:
            figs, fmt, future = item
            if self._failed is not None:   # a renderer that failed twice is not started
                future.set_exception(self._failed)   # again for each section
                continue
            try:
                future.set_result(self._draw(figs, fmt))
            except BaseException as exc:  # noqa: BLE001 - raised by draw(), in the report
                self._failed = exc
                future.set_exception(exc)

    def _ask(self, figs: list[go.Figure], fmt: str) -> Future[list[bytes]]:
        future: Future[list[bytes]] = Future()
        self._todo.put((list(figs), fmt, future))
        return future

    def submit(self, figs: list[go.Figure]) -> None:
        if figs:
            self._done.append((list(figs), self._ask(figs, self._fmt)))

    def draw(self, figs: list[go.Figure], fmt: str = "svg") -> list[bytes]:
        got: dict[int, bytes] = {}
        if fmt == self._fmt:
            for sent, future in self._done:
                got.update(zip(map(id, sent), future.result(), strict=True))
        missing = [f for f in figs if id(f) not in got]
        if missing:
            got.update(zip(map(id, missing), self._ask(missing, fmt).result(), strict=True))
        return [got[id(f)] for f in figs]

    def close(self) -> None:
        """Wait for what was asked (each request bounded by the renderer's time), so the
        renderer is free when the report gives it back, and end the thread."""
        self._todo.put(None)
        self._thread.join()


def images(figs: list[go.Figure], fmt: str = "svg") -> list[bytes]:
    """Each figure as SVG (or PNG at twice the size), by one bounded renderer for all."""
    if not figs:
        return []
    with figure_renderer() as draw:
        return draw(figs, fmt)
