"""The mean cumulative number of SREs (Ghosh and Lin) against R's mets::recurrentMarginal.

Reference values and the R script that produced them are in tests/reference/
(recurrent_reference.R); its notes say why the data set has no tied jump times and
where tied events are checked instead.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from rfa_dash.stats.mcf import mean_cumulative_columns

REF = Path(__file__).parent


def mean_cumulative(*args):
    """The estimator's columns as a frame, as these tests read them."""
    return pd.DataFrame(mean_cumulative_columns(*args))


def make_random() -> pd.DataFrame:
    """The input data set, in counting-process form (how recurrent_random.csv was made)."""
    rng = np.random.default_rng(20261204)
    rows = []
    for i in range(1, 81):
        end = float(np.round(rng.uniform(0.5, 24.0), 6))
        died = bool(rng.random() < 0.35)
        ev = np.sort(np.round(rng.uniform(0, end, size=rng.poisson(1.2)), 6))
        start = 0.0
        for e in ev[(ev > 0) & (ev < end)]:
            rows.append((i, start, float(e), 1, 0))
            start = float(e)
        rows.append((i, start, end, 0, int(died)))
    return pd.DataFrame(rows, columns=["id", "entry", "time", "status", "death"])


def _inputs(d: pd.DataFrame):
    last = d.groupby("id").tail(1).reset_index(drop=True)
    pos = {pid: k for k, pid in enumerate(last["id"])}
    ev = d[d["status"] == 1]
    return (last["time"].to_numpy(), last["death"].to_numpy(bool),
            ev["id"].map(pos).to_numpy(), ev["time"].to_numpy())


def test_the_committed_input_is_the_generated_one():
    d = pd.read_csv(REF / "recurrent_random.csv")
    pd.testing.assert_frame_equal(d, make_random(), check_dtype=False)


def test_mean_cumulative_matches_mets():
    ref = pd.read_csv(REF / "recurrent_reference.csv")
    end, died, owner, times = _inputs(pd.read_csv(REF / "recurrent_random.csv"))
    got = mean_cumulative(end, died, owner, times, ref["time"])
    assert len(ref) > 80        # every event and death time of the data set
    np.testing.assert_allclose(got["mcf"], ref["mu"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(got["se"], ref["se"], atol=1e-9, rtol=0)
    # between jump times the estimate stays where it was
    mid = (ref["time"].to_numpy()[:-1] + ref["time"].to_numpy()[1:]) / 2
    between = mean_cumulative(end, died, owner, times, mid)
    np.testing.assert_allclose(between["mcf"], ref["mu"].to_numpy()[:-1], atol=1e-9, rtol=0)
