"""rfa_dash: monitoring dashboard of the NCT07090122 randomized pilot.

Plain-Python logic (no Streamlit) that loads a trial export into DuckDB,
validates it against the data contract and derives every figure the pages
and the command-line interface show.
"""

__version__ = "0.1.0"
