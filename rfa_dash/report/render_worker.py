"""The chart renderer's process: Kaleido's headless Chromium, started at once, drawing the
figures of one report per request (``python -P rfa_dash/report/render_worker.py``: run
as a file, it imports plotly and Kaleido and nothing of the package).

Kaleido 0.2.1 can hang for good inside its Chromium (plotly/Kaleido #134, #139, #145):
it runs here, in a process of its own, so that :mod:`rfa_dash.report.charts_render`
can bound each request in time and kill it (and its Chromium) when it does not answer.
Each request on standard input and each answer on standard output is an 8-byte length
and a pickle: ``(figures as Plotly JSON dicts, format, width)`` in, the list of images
(bytes) out. The parent is this package: the pickles never leave the machine. The
process ends when its input closes, or when no request came for as many seconds as its
one argument says (a warm renderer nobody used gives its memory back).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import sys

HEADER = struct.Struct("!Q")


def _read(n: int) -> bytes | None:
    """Exactly ``n`` bytes of standard input, or None at its end."""
    parts, left = [], n
    while left:
        chunk = os.read(0, min(left, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _write(data: bytes) -> None:
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(1, view):]


def main() -> int:
    """Start Chromium, then draw each request until the input ends or stays idle."""
    import plotly
    from kaleido.scopes.plotly import PlotlyScope

    idle = float(sys.argv[1]) if len(sys.argv) > 1 else 900.0
    js = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
    scope = PlotlyScope(plotlyjs=js, mathjax=False)
    scope._ensure_kaleido()     # start at once: the parent computes while Chromium starts
    # and draw once: the first figure a Chromium draws loads plotly.js (about 0.1 s more),
    # done here before anyone waits for it
    scope.transform({"data": [], "layout": {}}, format="svg", width=100, height=100)
    try:
        while select.select([0], [], [], idle)[0]:
            head = _read(HEADER.size)
            body = head and _read(HEADER.unpack(head)[0])
            if not body:
                break
            figs, fmt, width = pickle.loads(body)
            out = [scope.transform(f, format=fmt, width=width,
                                   height=int((f.get("layout") or {}).get("height") or 400),
                                   scale=2 if fmt == "png" else 1) for f in figs]
            _write(pickle.dumps(out))
    finally:
        scope._shutdown_kaleido()
    return 0


if __name__ == "__main__":
    sys.exit(main())
