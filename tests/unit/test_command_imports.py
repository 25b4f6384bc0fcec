"""The reading commands start without pandas, SciPy or statsmodels (issue 28: their
import alone is two to three times a command's floor). Checked by what a command's
process has imported, not by timing it (speed is the benchmark's, bench/bench.py)."""

import json
import subprocess
import sys

import pytest

from rfa_dash.ingest.export import SAMPLE_DIR

HEAVY = ("pandas", "scipy", "statsmodels", "sqlalchemy", "plotly")
SCRIPT = """
import contextlib, io, json, sys
from rfa_dash.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


@pytest.mark.parametrize("command", ["check", "eligibility", "visits", "overdue", "sre",
                                     "progression", "sre-rate", "recurrent", "pain"])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_command_loads_no_frame_library(command, fmt):
    # the sample's Parquet cache is written by the first run; the second is a user's
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", SCRIPT, command, str(SAMPLE_DIR),
                               "--format", fmt], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": []}
