"""``python -m rfa_dash serve [streamlit run options]``: the dashboard's server.

Does what the first visitor would otherwise wait for (:func:`rfa_dash.ui.warmup.warm_up`:
imports, the bundled sample and the export root's newest exports loaded, a first
figure drawn) and starts the report's chart renderer, then runs ``streamlit run app.py``
with the options given, in this same process, so that everything warmed is the
server's. Streamlit's health check (``/_stcore/health``) answers only after that: a
restarted server is ready when it says so (docs/deploy.md).

Example
-------
``python -m rfa_dash serve --server.port 8501 --server.address 127.0.0.1``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent.parent / "app.py"


def serve(options: list[str]) -> int:
    """Warm up, then serve ``app.py`` with Streamlit's ``run`` ``options``; returns only
    when the server stops (its exit status)."""
    if any(o in ("-h", "--help") for o in options):
        print(__doc__.split("\n\n")[0] + "\n\nOptions: those of `streamlit run --help`.")
        return 0
    t = time.monotonic()
    from rfa_dash.report import warm_renderer

    warm_renderer()     # Chromium starts while the rest warms up
    from rfa_dash.ui.warmup import warm_up

    for line in warm_up():
        print(f"rfa_dash: start-up: {line}", file=sys.stderr)
    print(f"rfa_dash: start-up done in {time.monotonic() - t:.1f} s; starting the server",
          file=sys.stderr)
    from rfa_dash.ui.warmup import run_server

    return run_server(APP, options)
