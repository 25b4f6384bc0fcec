"""The reading commands start without pandas, ``scipy.stats`` or statsmodels (issue 28:
their import alone is two to three times a command's floor); those that need no quantile
import no SciPy at all, the others only ``scipy.special`` (issue 33). Checked by what a
command's process has imported, not by timing it (speed is the benchmark's,
bench/bench.py)."""

import json
import subprocess
import sys

import pytest

from rfa_dash.ingest.export import SAMPLE_DIR

HEAVY = ("pandas", "scipy", "scipy.stats", "statsmodels", "sqlalchemy", "plotly")
# the commands whose numbers need a quantile (an exact interval, the t interval)
QUANTILES = {"progression", "sre-rate", "pain"}
SCRIPT = """
import contextlib, io, json, sys
from rfa_dash.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


@pytest.mark.parametrize("command", ["check", "eligibility", "visits", "overdue", "sre",
                                     "safety-rule", "safety-oc", "main-trial",
                                     "progression", "sre-rate", "recurrent", "pain"])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_command_loads_no_frame_library(command, fmt):
    # the sample's Parquet cache is written by the first run; the second is a user's
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", SCRIPT, command, str(SAMPLE_DIR),
                               "--format", fmt], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    allowed = ["scipy"] if command in QUANTILES else []
    assert result["code"] == 0 and sorted(set(result["loaded"]) - set(allowed)) == []
