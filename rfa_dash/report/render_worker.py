"""The chart renderer's process: Kaleido's headless Chromium, started at once, drawing the
figures it is sent (``python -m rfa_dash.report.render_worker``).

Kaleido 0.2.1 can hang for good inside its Chromium (plotly/Kaleido #134, #139, #145):
it runs here, in a process of its own, so that :mod:`rfa_dash.report.charts_render`
can bound it in time and kill it (and its Chromium) when it does not answer. Standard
input: one pickled ``(figures as Plotly JSON dicts, format, width)``; standard output:
the pickled list of images (bytes). The parent is this package: the pickles never leave
the machine.
"""

from __future__ import annotations

import os
import pickle
import sys


def main() -> int:
    """Start Chromium, then draw what standard input asks for."""
    import plotly
    from kaleido.scopes.plotly import PlotlyScope

    js = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
    scope = PlotlyScope(plotlyjs=js, mathjax=False)
    scope._ensure_kaleido()     # start at once: the parent computes while Chromium starts
    try:
        figs, fmt, width = pickle.load(sys.stdin.buffer)
        out = [scope.transform(f, format=fmt, width=width,
                               height=int((f.get("layout") or {}).get("height") or 400),
                               scale=2 if fmt == "png" else 1) for f in figs]
        sys.stdout.buffer.write(pickle.dumps(out))
        sys.stdout.buffer.flush()
    finally:
        scope._shutdown_kaleido()
    return 0


if __name__ == "__main__":
    sys.exit(main())
