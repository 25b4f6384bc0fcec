"""The command-line interface (``python -m rfa_dash``): ``main`` parses and dispatches,
``commands`` computes each command's rows, ``output`` writes them."""

from rfa_dash.cli.main import main

__all__ = ["main"]
