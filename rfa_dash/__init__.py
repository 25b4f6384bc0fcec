"""rfa_dash: monitoring dashboard of the NCT07090122 randomized pilot.

Plain-Python logic (no Streamlit) that loads a trial export into DuckDB,
validates it against the data contract and derives every figure the pages
and the command-line interface show.
"""

# the one place the version is written (pyproject.toml reads it); raised with each
# landed change set that changes what an output shows: docs/architecture.md says how
__version__ = "0.2.0"
