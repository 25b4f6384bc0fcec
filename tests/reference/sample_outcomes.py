"""Write tests/reference/sample.csv: the bundled sample's SRE outcomes, R's input.

Run from the repository root after `make sample`, then `Rscript tests/reference/reference.R`:

    .venv/bin/python tests/reference/sample_outcomes.py
"""

from pathlib import Path

from rfa_dash.analysis import sre
from rfa_dash.ingest.export import SAMPLE_DIR, open_export


def sample_outcomes():
    """(time in months, status, group) of every participant of the bundled sample."""
    exp = open_export(SAMPLE_DIR, use_cache=False)
    out = sre.outcomes(exp, exp.default_as_of)
    exp.close()
    return out.rename(columns={"months": "time", "arm": "group"})[["time", "status", "group"]]


if __name__ == "__main__":
    sample_outcomes().to_csv(Path(__file__).parent / "sample.csv", index=False,
                             float_format="%.10f", lineterminator="\n")
